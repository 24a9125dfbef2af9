"""Monthly trend series from the history of offer and example states.

The history holds one row per applied event (the entity's full state at that moment),
so an entity's state at any instant is the newest version applied before it. A month's
numbers: offers active at its end (for the running month: now, as no event lies in the
future), offers first published in it, offers that ended in it (withdrawn, expired, or
moved out of the area or field), and good examples active at its end.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from npa.contracts.reference import FIELDS, districts
from services.reports.domain.facts import LOWER_SAXONY, is_active

OFFER = "offer"
EXAMPLE = "example"
ALL_FIELDS = "alle"
TREND_MONTHS = 12


@dataclass(frozen=True)
class Transition:
    kind: str  # OFFER or EXAMPLE
    entity_id: str
    version: int
    status: str
    district: str | None
    fields: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True)
class MonthPoint:
    month: str  # "2026-03"
    field: str  # a field slug or ALL_FIELDS (an offer in several fields counts once)
    active_offers: int
    new_offers: int
    ended_offers: int
    active_examples: int


def month_bounds(now: datetime, months: int) -> list[tuple[str, datetime, datetime]]:
    """(label, start, end) of the last `months` calendar months in Lower Saxony, oldest first."""
    local = now.astimezone(LOWER_SAXONY)
    year, month = local.year, local.month
    bounds = []
    for _ in range(months):
        start = datetime(year, month, 1, tzinfo=LOWER_SAXONY)
        end_year, end_month = (year + 1, 1) if month == 12 else (year, month + 1)
        bounds.append((f"{year:04d}-{month:02d}", start, datetime(end_year, end_month, 1, tzinfo=LOWER_SAXONY)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return bounds[::-1]


def scope(transition: Transition, area: set[str] | None) -> frozenset[str]:
    """The series an entity in this state counts in: its known fields and ALL_FIELDS, if it is
    active and in the area (None = the whole state, state-wide items included); else none."""
    if not is_active(transition.status):
        return frozenset()
    if area is None:
        if transition.district is not None and transition.district not in districts():
            return frozenset()
    elif transition.district not in area:
        return frozenset()
    return frozenset(transition.fields).intersection(FIELDS) | {ALL_FIELDS}


def monthly_series(transitions: Iterable[Transition], now: datetime, months: int = TREND_MONTHS,
                   area: set[str] | None = None) -> dict[str, list[MonthPoint]]:
    """Series per field slug and for ALL_FIELDS; `area` is a set of district keys or None."""
    histories: dict[tuple[str, str], list[Transition]] = defaultdict(list)
    for transition in transitions:
        histories[(transition.kind, transition.entity_id)].append(transition)
    bounds = month_bounds(now, months)
    starts, ends = [start for _l, start, _e in bounds], [end for _l, _s, end in bounds]
    slugs = (*FIELDS, ALL_FIELDS)
    totals = {slug: [[0, 0, 0, 0] for _ in bounds] for slug in slugs}  # active, new, ended, examples

    def month_of(instant: datetime) -> int | None:
        index = bisect_right(starts, instant) - 1
        return index if index >= 0 and instant < ends[index] else None

    for (kind, _id), history in histories.items():
        history.sort(key=lambda t: t.version)
        scopes = [scope(t, area) for t in history]
        column = 3 if kind == EXAMPLE else 0
        for month, end in enumerate(ends):
            current = None  # the newest version applied before the month's end
            for index, transition in enumerate(history):
                if transition.occurred_at < end:
                    current = index
            for slug in scopes[current] if current is not None else ():
                totals[slug][month][column] += 1
        if kind != OFFER:
            continue
        first = next((i for i, t in enumerate(history) if is_active(t.status)), None)
        if first is not None and (month := month_of(history[first].occurred_at)) is not None:
            for slug in scopes[first]:
                totals[slug][month][1] += 1
        for index in range(1, len(history)):
            if (month := month_of(history[index].occurred_at)) is not None:
                for slug in scopes[index - 1] - scopes[index]:  # left the series: withdrawn, expired or moved
                    totals[slug][month][2] += 1
    return {
        slug: [MonthPoint(label, slug, *totals[slug][month]) for month, (label, _s, _e) in enumerate(bounds)]
        for slug in slugs
    }
