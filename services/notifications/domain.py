"""Subscription and delivery rules; no framework imports."""

import re
import uuid
from collections.abc import Iterable

from npa.contracts.reference import districts_in

# Subscription states. `pending` waits for the double opt-in click; `cancelled` is final
# (subscribing again creates a new subscription with a new id).
PENDING, ACTIVE, CANCELLED = "pending", "active", "cancelled"
FREQUENCIES = ("immediate", "daily", "weekly")
LANGUAGES = ("de", "en")

# Delivery states and what a delivery answers: an alert answers a bus event, a
# confirmation answers a subscribe request (its event_id is the request's own id).
DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_FAILED = "pending", "sent", "failed"
DELIVERY_STATES = (DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_FAILED)
ALERT, CONFIRMATION = "alert", "confirmation"

PREFERENCE_NAMES = ("fields", "regions", "frequency", "language", "examples", "new_actors")

_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_MESSAGE_ID_NAMESPACE = uuid.UUID("8f1b8f0e-3f5e-4c55-9b7a-6c1f0d2a4e11")


def normalise_email(address: str) -> str:
    """The key that makes two spellings of one mailbox one subscriber.

    The local part is case-sensitive by RFC 5321, but no mailbox provider treats it so,
    and treating `Anna@` and `anna@` as two subscribers would let one person hold two.
    """
    return address.strip().casefold()


def covered_districts(regions: Iterable[str]) -> set[str] | None:
    """District keys a subscription covers; None means all of Lower Saxony."""
    wanted: set[str] = set()
    for region in regions:
        wanted |= districts_in(region)
    return wanted or None


def matches(sub_fields: Iterable[str], sub_regions: Iterable[str], item_fields: Iterable[str],
            item_district: str | None) -> bool:
    """A subscription wants an item when a field is shared and the item's district is
    covered; a state-wide item (no district) is relevant everywhere."""
    if not set(sub_fields) & set(item_fields):
        return False
    if item_district is None:
        return True
    covered = covered_districts(sub_regions)
    return covered is None or item_district in covered


def retry_delay(attempts: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff after the `attempts`-th failed try (1, 2, 4 … × base)."""
    return min(max_seconds, base_seconds * 2 ** max(0, attempts - 1))


def is_permanent_smtp_code(code: int | None) -> bool:
    """5xx replies are final (RFC 5321 §4.2.1); 4xx and no reply at all are worth a retry."""
    return code is not None and 500 <= code < 600


def redact_addresses(text: str) -> str:
    """SMTP replies often quote the recipient; nothing we store or log may keep it."""
    return _ADDRESS.sub("<address>", text)


def message_id(subscription_id: str, event_id: str, domain: str) -> str:
    """The same (subscription, event) always yields the same Message-ID, so a mail that
    is sent twice after a crash can be recognised as one by the receiving side."""
    return f"<{uuid.uuid5(_MESSAGE_ID_NAMESPACE, f'{subscription_id}:{event_id}')}@{domain}>"

