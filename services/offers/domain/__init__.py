"""Rules of the offers service, one module per aggregate; no framework imports."""

from services.offers.domain.offers import (  # noqa: F401
    DRAFT,
    EXPIRED,
    INACTIVE,
    PUBLISHED,
    WITHDRAWN,
    Decision,
    changed_fields,
    decide_upsert,
    decide_expiry,
    decide_withdrawal,
    is_past_end,
)
