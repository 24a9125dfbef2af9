"""Operations shared by the HTTP side, the bus handlers, the periodic workers and the sender.

Those re-exported here take the caller's session and leave the commit to the caller (except
the claim of a sender round, which must be visible to other replicas at once): a bus handler
runs inside its consumer's batch transaction. The routes and pages call use cases that own
their transaction (ADR 25), composed from these: `subscribe_requests.submit_subscription`,
the `…_by_link` ones in `subscriptions` and `privacy`, and `deliveries.find_deliveries`.
"""

from services.notifications.usecases.claims import DueMail, claim_due  # noqa: F401
from services.notifications.usecases.digests import build_digest, build_due_digests  # noqa: F401
from services.notifications.usecases.privacy import (  # noqa: F401
    anonymous_counts,
    erase_subscription,
    export_data,
    purge_unconfirmed,
)
from services.notifications.usecases.subscriptions import (  # noqa: F401
    SUBSCRIBE_REQUEST,
    LinkNoLongerValid,
    cancel_subscription,
    change_preferences,
    confirm_subscription,
    live_subscription,
    load_for_link,
    request_subscription,
)
