"""The notification rules as plain functions and types; no framework imports.

One module per concern; everything is re-exported here, so callers write `domain.matches`.
"""

from services.notifications.domain.deliveries import (  # noqa: F401
    ALERT,
    CONFIRMATION,
    DELIVERY_FAILED,
    DELIVERY_KINDS,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    DELIVERY_SKIPPED,
    DELIVERY_STATES,
    DIGEST,
    ITEM_MAIL_KINDS,
    TOLD_ABOUT_ITEM,
    UPDATE,
    WITHDRAWAL,
    failure_reason,
    is_permanent_smtp_code,
    message_id,
    redact_addresses,
)
from services.notifications.domain.digests import (  # noqa: F401
    SECTIONS,
    DigestItemView,
    DigestSchedule,
    LatestState,
    digest_entries,
)
from services.notifications.domain.items import (  # noqa: F401
    ACTOR,
    CHANGED,
    EXAMPLE,
    ITEM_KINDS,
    NEW,
    OFFER,
    READER_RELEVANT_OFFER_CHANGES,
    WITHDRAWN,
    is_live,
    item_kind_of,
    matters_to_reader,
)
from services.notifications.domain.matching import (  # noqa: F401
    AUDIENCE_ACTORS,
    AUDIENCE_EXAMPLES,
    AUDIENCE_OFFERS,
    STATE_WIDE,
    STATE_WIDE_ITEMS,
    areas_covering,
    areas_wanting,
    audiences,
    covered_districts,
    filing,
    matches,
    matches_any,
    target_areas,
)
from services.notifications.domain.subscriptions import (  # noqa: F401
    ACTIVE,
    CANCELLED,
    CONSENT_TEXT_VERSION,
    DAILY,
    DIGEST_FREQUENCIES,
    FREQUENCIES,
    IMMEDIATE,
    LANGUAGES,
    PENDING,
    PREFERENCE_NAMES,
    UNCONFIRMED_RETENTION,
    WEEKLY,
    normalise_email,
)
