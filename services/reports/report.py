"""One reading of the counted read models and every figure computed from it, each at most once.

The API, the dashboard, the CSV export and the rebuild check all take their numbers from a
`Report`, so a figure means the same everywhere. Rows are plain dicts with the API's names.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.contracts.reference import districts
from services.reports import domain, queries


class Report:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    @classmethod
    @contextmanager
    def reading(cls, engine: Engine, now: datetime | None = None) -> Iterator["Report"]:
        with Session(engine) as session:
            yield cls(session, now or queries.utc_now())

    @cached_property
    def levels(self) -> queries.CoverageLevels:
        return queries.coverage(self.session, self.now)

    @cached_property
    def as_of(self) -> datetime | None:
        return queries.as_of(self.session)

    @property
    def by_district(self) -> domain.Coverage:
        return self.levels.by_district

    @property
    def by_region(self) -> domain.Coverage:
        return self.levels.by_region

    @property
    def by_state(self) -> domain.Coverage:
        return self.levels.by_state

    @cached_property
    def gaps(self) -> list[domain.Gap]:
        return domain.find_gaps(self.by_district)

    @cached_property
    def weakest(self) -> dict[str, list[domain.WeakDistrict]]:
        return domain.weakest_districts(self.by_district, limit=None)

    def trends(self, region: str | None = None, months: int = domain.TREND_MONTHS) -> dict[str, list[domain.MonthPoint]]:
        """`region`: a district key, an ARL region name or None for the whole state."""
        return domain.series_from_months(queries.trend_rows(self.session, region), self.now, months)

    def recognised(self, limit: int | None = None) -> list[domain.RecognisedActor]:
        return queries.recognised(self.session, limit)

    @cached_property
    def thank_you(self) -> domain.ThankYouTotals:
        return queries.thank_you(self.session, self.now, self.levels)

    def good_examples(self, limit: int | None = None) -> list[queries.GoodExample]:
        return queries.good_examples(self.session, limit)

    @property
    def examples_total(self) -> int:
        """Published good examples, wherever they are."""
        return self.levels.totals.get(domain.EVERYWHERE, {}).get("examples", 0)

    @cached_property
    def notifications(self) -> list[queries.NotificationFigures]:
        return queries.notifications(self.session)

    # Rows, as the API and the CSV export give them.

    def district_rows(self, field: str | None = None) -> list[dict]:
        return domain.district_rows(self.by_district, field)

    def region_rows(self, field: str | None = None) -> list[dict]:
        return domain.arl_rows(self.by_region, domain.gaps_per_region(self.gaps), field)

    def state_rows(self, field: str | None = None) -> list[dict]:
        return domain.state_rows(self.by_state, field)

    def gap_rows(self, field: str | None = None) -> list[dict]:
        return [asdict(gap) for gap in self.gaps if field in (None, gap.field)]

    def weakest_rows(self, field: str | None = None, limit: int | None = None) -> list[dict]:
        return [asdict(weak) for slug, found in self.weakest.items() if field in (None, slug) for weak in found[:limit]]

    def trend_rows(self, region: str | None = None, field: str | None = None,
                   months: int = domain.TREND_MONTHS) -> list[dict]:
        return [asdict(point) for slug, points in self.trends(region, months).items()
                if field in (None, slug) for point in points]

    def actor_rows(self, limit: int | None = None) -> list[dict]:
        return [asdict(actor) for actor in self.recognised(limit)]

    def thank_you_rows(self) -> list[dict]:
        return [{"figure": name, "label": domain.THANK_YOU_LABELS[name], "value": value}
                for name, value in asdict(self.thank_you).items()]

    def example_rows(self, limit: int | None = None) -> list[dict]:
        known = districts()
        return [
            {**asdict(example), "district_name": known[example.district].name if example.district in known else None,
             "published_at": example.published_at.isoformat() if example.published_at else None}
            for example in self.good_examples(limit)
        ]

    def notification_rows(self) -> list[dict]:
        return [asdict(figures) for figures in self.notifications]
