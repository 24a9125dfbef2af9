"""Subscription states, preferences and the double opt-in rules."""

from datetime import timedelta

# `pending` waits for the double opt-in click; `cancelled` is final (subscribing again
# creates a new subscription with a new id). An erased subscription leaves no row at all.
PENDING, ACTIVE, CANCELLED = "pending", "active", "cancelled"
IMMEDIATE, DAILY, WEEKLY = "immediate", "daily", "weekly"
FREQUENCIES = (IMMEDIATE, DAILY, WEEKLY)
DIGEST_FREQUENCIES = (DAILY, WEEKLY)
LANGUAGES = ("de", "en")

PREFERENCE_NAMES = ("fields", "regions", "frequency", "language", "examples", "new_actors")

# The version of the consent text shown beside the subscribe form (templates/_consent.html).
# Change it whenever that text changes: every consent record names the version agreed to.
CONSENT_TEXT_VERSION = "2026-11-25"

# An unconfirmed request is deleted this long after its last confirmation mail; the link in
# that mail expires at the same age (tokens.CONFIRM_MAX_AGE).
UNCONFIRMED_RETENTION = timedelta(days=7)


def normalise_email(address: str) -> str:
    """The key that makes two spellings of one mailbox one subscriber.

    The local part is case-sensitive by RFC 5321, but no mailbox provider treats it so,
    and treating `Anna@` and `anna@` as two subscribers would let one person hold two.
    """
    return address.strip().casefold()
