"""Reference data every service shares: fields of action, districts and ARL regions."""

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo

FIELDS: dict[str, dict[str, str]] = {
    "sprache": {"de": "Sprachförderung", "en": "Language support"},
    "arbeit": {"de": "Arbeitsmarktintegration", "en": "Labour market integration"},
    "engagement": {"de": "Freiwilliges Engagement", "en": "Volunteering"},
    "wohnen": {"de": "Wohnen und Leben", "en": "Housing and living"},
    "teilhabe": {
        "de": "Politische und gesellschaftliche Teilhabe",
        "en": "Political and social participation",
    },
}

LOWER_SAXONY = ZoneInfo("Europe/Berlin")
"""The state's clock: an offer's end date, a report's month and year are days there, not in UTC."""


def today_in_lower_saxony(now: datetime | None = None) -> date:
    """The calendar day in Lower Saxony at `now` (default: this moment); from 22:00 or 23:00
    UTC it is a day ahead of UTC's."""
    return (now or datetime.now(UTC)).astimezone(LOWER_SAXONY).date()


ARL_REGIONS = ("Braunschweig", "Leine-Weser", "Lüneburg", "Weser-Ems")


@dataclass(frozen=True)
class District:
    ags: str
    name: str
    kind: str
    arl_region: str


@cache
def districts() -> dict[str, District]:
    """The 45 districts of Lower Saxony by official key (AGS)."""
    text = files("npa.contracts").joinpath("data/niedersachsen_kreise.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {row["ags"]: District(**row) for row in rows}


def is_district(key: str) -> bool:
    return key in districts()


def is_field(slug: str) -> bool:
    return slug in FIELDS


def districts_in(region: str) -> set[str]:
    """District keys covered by a region given as district key or ARL region name."""
    if region in districts():
        return {region}
    return {d.ags for d in districts().values() if d.arl_region == region}


def is_region(region: str) -> bool:
    return region in districts() or region in ARL_REGIONS
