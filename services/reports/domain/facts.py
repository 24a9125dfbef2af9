"""The plain data the counting rules take, and what counts as active."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from npa.contracts.events import offers as offer_events
from npa.contracts.offer_body import is_free  # noqa: F401  (one rule for search and reports)
from npa.contracts.reference import LOWER_SAXONY  # months and years are the readers', not UTC's

PUBLISHED = "published"
NEW_OFFER_DAYS = 30

_INACTIVE_BY_TYPE = {offer_events.WITHDRAWN: "withdrawn", offer_events.EXPIRED: "expired"}


def offer_status(event_type: str, status: str) -> str:
    """The status to keep: a withdrawal or expiry is final for that version whatever `data` says."""
    if event_type in _INACTIVE_BY_TYPE and status == PUBLISHED:
        return _INACTIVE_BY_TYPE[event_type]
    return status


def is_active(status: str) -> bool:
    return status == PUBLISHED


def new_since(now: datetime) -> datetime:
    """Offers first published at or after this instant count as new."""
    return now - timedelta(days=NEW_OFFER_DAYS)


def year_start(now: datetime) -> datetime:
    local = now.astimezone(LOWER_SAXONY)
    return datetime(local.year, 1, 1, tzinfo=LOWER_SAXONY)


@dataclass(frozen=True)
class Offer:
    district: str | None
    fields: tuple[str, ...]
    active: bool = True
    women_only: bool = False
    childcare: bool = False
    free: bool = False
    languages: tuple[str, ...] = ()
    published_at: datetime | None = None


@dataclass(frozen=True)
class Actor:
    districts: tuple[str, ...]
    fields: tuple[str, ...]
    is_multiplier: bool = False
    active: bool = True


@dataclass(frozen=True)
class Example:
    district: str | None
    fields: tuple[str, ...]
    active: bool = True


@dataclass(frozen=True)
class Facts:
    """A snapshot of the read models, as the counting functions take it.

    `new_since`: offers first published at or after it count as new; None counts none.
    """

    offers: Sequence[Offer] = ()
    actors: Sequence[Actor] = ()
    examples: Sequence[Example] = ()
    new_since: datetime | None = None

    def is_new(self, offer: Offer) -> bool:
        return self.new_since is not None and offer.published_at is not None and offer.published_at >= self.new_since
