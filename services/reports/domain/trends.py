"""Monthly trend series of offers and good examples.

A month's numbers: offers active at its end (for the running month: now, as no event lies in
the future), offers first published in it, offers that ended in it (withdrawn, expired, or
moved out of the area or field), and good examples active at its end.

The consumer keeps them as a monthly read model (`count_trend`): per kind, month, area and
series the change of the active count and the offers new and ended in that month; active at a
month's end is the sum of the changes up to it (`series_from_months`). `monthly_series` folds
a history of transitions the same way, so both give the same numbers.
"""

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from npa.contracts.reference import FIELDS, districts
from services.reports.domain.counts import ALL_FIELDS, EXAMPLE_KIND, OFFER_KIND, Tally, is_utc
from services.reports.domain.facts import LOWER_SAXONY, is_active

OFFER = OFFER_KIND
EXAMPLE = EXAMPLE_KIND
TREND_MONTHS = 12
TRENDS = "trends"
WHOLE_STATE = "Niedersachsen"  # the trends' whole state: state-wide items included

_TREND_AREAS: dict[str | None, tuple[str, ...]] = {None: (WHOLE_STATE,)}
_TREND_AREAS.update({key: (key, district.arl_region, WHOLE_STATE) for key, district in districts().items()})


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


def month_label(instant: datetime) -> str:
    if instant.day < 28 and is_utc(instant):  # Berlin is at most two hours ahead: only a month's last day differs
        return f"{instant.year:04d}-{instant.month:02d}"
    local = instant.astimezone(LOWER_SAXONY)
    return f"{local.year:04d}-{local.month:02d}"


def trend_areas(district: str | None) -> tuple[str, ...]:
    """The areas of the monthly read model an item counts in: its district, its ARL region and
    the whole state (`WHOLE_STATE`, state-wide items included); an unknown district: none."""
    return _TREND_AREAS.get(district, ())


def scope(status: str, district: str | None, fields: Iterable[str],
          areas_of: Callable[[str | None], Iterable[str]] = trend_areas) -> frozenset[tuple[str, str]]:
    """The (area, series) pairs an entity in this state counts in: its known fields and
    ALL_FIELDS in every area of its district, if it is active; else none."""
    if not is_active(status):
        return frozenset()
    if areas_of is trend_areas:
        return _trend_scope(district, tuple(fields))
    slugs = frozenset(fields).intersection(FIELDS) | {ALL_FIELDS}
    return frozenset((area, slug) for area in areas_of(district) for slug in slugs)


@functools.lru_cache(maxsize=16384)
def _trend_scope(district: str | None, fields: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    slugs = frozenset(fields).intersection(FIELDS) | {ALL_FIELDS}
    return frozenset((area, slug) for area in trend_areas(district) for slug in slugs)


@dataclass(frozen=True)
class TrendState:
    """What the trends need of an entity after an applied event. `at`: the newest event time
    applied to it so far, so a late event never rewrites a month before its predecessor."""

    kind: str
    status: str
    district: str | None
    fields: tuple[str, ...]
    at: datetime


def count_trend(tally: Tally, before: TrendState | None, after: TrendState, ever_active_before: bool,
                areas_of: Callable[[str | None], Iterable[str]] = trend_areas) -> None:
    """Changes to the monthly read model (`TRENDS`: (kind, month, area, series) → active_change,
    new_offers, ended_offers) when an entity goes from `before` to `after`, in the month of `after.at`.

    An offer's first active state is new in its month; leaving a series (withdrawn, expired,
    moved out of the area or field) ends it there."""
    previous = (before.status, before.district, before.fields) if before else None
    count_state_change(tally, after.kind, after.at, previous, (after.status, after.district, after.fields),
                       ever_active_before, areas_of)


State = tuple[str, str | None, tuple[str, ...]]  # status, district, fields


def count_state_change(tally: Tally, kind: str, at: datetime, before: State | None, after: State,
                       ever_active_before: bool,
                       areas_of: Callable[[str | None], Iterable[str]] = trend_areas) -> None:
    """`count_trend` for states as tuples (the consumer's fold, per event: no objects to build;
    the month is worked out only when something changes)."""
    changes = _trend_changes(kind, before, after, ever_active_before, areas_of)
    if not changes:
        return
    trends, month = tally.table(TRENDS), month_label(at)
    for (area, series, column), factor in changes:
        trends[(kind, month, area, series, column)] += factor


@functools.lru_cache(maxsize=65536)
def _trend_changes(kind: str, before: State | None, after: State, ever_active_before: bool,
                   areas_of: Callable[[str | None], Iterable[str]] = trend_areas) -> tuple[tuple[tuple, int], ...]:
    """((area, series, column), change) pairs, whatever the month; cached, as few shapes recur
    (with the month in the key, a replay of two years missed the cache for most events)."""
    previous = scope(*before, areas_of) if before else frozenset()
    current = scope(*after, areas_of)
    changes = [((area, slug, "active_change"), 1) for area, slug in current - previous]
    for area, slug in previous - current:
        changes.append(((area, slug, "active_change"), -1))
        if kind == OFFER:
            changes.append(((area, slug, "ended_offers"), 1))
    if kind == OFFER and not ever_active_before and current:
        changes += [((area, slug, "new_offers"), 1) for area, slug in current]
    return tuple(changes)


MonthRow = tuple[str, str, str, int, int, int]
"""(kind, month, series, active_change, new_offers, ended_offers) of one area."""


def series_from_months(rows: Iterable[MonthRow], now: datetime, months: int = TREND_MONTHS) -> dict[str, list[MonthPoint]]:
    """Series per field slug and ALL_FIELDS from one area's monthly rows (any months, any order):
    active at a month's end is the sum of the changes up to that month."""
    bounds = month_bounds(now, months)
    labels = [label for label, _s, _e in bounds]
    first = labels[0]
    slugs = (*FIELDS, ALL_FIELDS)
    opening = {(kind, slug): 0 for kind in (OFFER, EXAMPLE) for slug in slugs}
    within: dict[tuple[str, str, str], list[int]] = {}
    for kind, month, slug, change, new, ended in rows:
        if (kind, slug) not in opening:
            continue
        if month < first:
            opening[(kind, slug)] += change
        else:
            totals = within.setdefault((kind, slug, month), [0, 0, 0])
            totals[0] += change
            totals[1] += new
            totals[2] += ended
    series = {}
    for slug in slugs:
        offers, examples, points = opening[(OFFER, slug)], opening[(EXAMPLE, slug)], []
        for label in labels:
            change, new, ended = within.get((OFFER, slug, label), (0, 0, 0))
            offers += change
            examples += within.get((EXAMPLE, slug, label), (0, 0, 0))[0]
            points.append(MonthPoint(label, slug, offers, new, ended, examples))
        series[slug] = points
    return series


def monthly_series(transitions: Iterable[Transition], now: datetime, months: int = TREND_MONTHS,
                   area: set[str] | None = None) -> dict[str, list[MonthPoint]]:
    """Series per field slug and for ALL_FIELDS from a history of transitions (any order);
    `area` is a set of district keys or None (the whole state, state-wide items included).
    The same fold as the consumer's monthly read model."""
    known = districts()

    def areas_of(district: str | None) -> tuple[str, ...]:
        if area is None:
            return ("x",) if district is None or district in known else ()
        return ("x",) if district in area else ()

    histories: dict[tuple[str, str], list[Transition]] = defaultdict(list)
    for transition in transitions:
        histories[(transition.kind, transition.entity_id)].append(transition)
    tally = Tally()
    for history in histories.values():
        history.sort(key=lambda t: t.version)
        before: TrendState | None = None
        ever_active = False
        for transition in history:
            at = max(before.at, transition.occurred_at) if before else transition.occurred_at
            after = TrendState(transition.kind, transition.status, transition.district, transition.fields, at)
            count_trend(tally, before, after, ever_active, areas_of)
            ever_active = ever_active or is_active(transition.status)
            before = after
    columns = ("active_change", "new_offers", "ended_offers")
    rows = [(row["kind"], row["month"], row["field"], *(row[column] for column in columns))
            for row in tally.rows(TRENDS, ("kind", "month", "area", "field"), columns)]
    return series_from_months(rows, now, months)
