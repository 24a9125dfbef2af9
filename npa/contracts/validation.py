"""Reusable pydantic types for reference data, so every API names bad values the same way."""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts, is_district, is_region


def _field_slugs(value: list[str]) -> list[str]:
    unknown = [slug for slug in value if slug not in FIELDS]
    if unknown:
        raise ValueError(f"unknown field of action {unknown}; allowed: {sorted(FIELDS)}")
    return sorted(set(value))


def _district(value: str | None) -> str | None:
    if value is not None and not is_district(value):
        raise ValueError(f"unknown district key {value!r}; use a Lower Saxony AGS (e.g. 03241) or null")
    return value


def _districts(value: list[str]) -> list[str]:
    unknown = [key for key in value if not is_district(key)]
    if unknown:
        raise ValueError(f"unknown district keys {unknown}; use Lower Saxony AGS keys (e.g. 03241)")
    return sorted(set(value))


def _regions(value: list[str]) -> list[str]:
    unknown = [region for region in value if not is_region(region)]
    if unknown:
        raise ValueError(f"unknown regions {unknown}; use district keys or one of {list(ARL_REGIONS)}")
    return sorted(set(value))


FieldSlugs = Annotated[list[str], Field(min_length=1, max_length=5), AfterValidator(_field_slugs)]
DistrictKey = Annotated[str | None, AfterValidator(_district)]
DistrictKeys = Annotated[list[str], Field(max_length=45), AfterValidator(_districts)]
Regions = Annotated[list[str], Field(max_length=49), AfterValidator(_regions)]


# Query parameters as enumerations: the OpenAPI document lists the allowed values, and anything
# else (also an empty `field=`) is a 422 naming the parameter.
FieldSlug = Literal[tuple(FIELDS)]  # type: ignore[valid-type]
RegionName = Literal[tuple(sorted(districts())) + ARL_REGIONS]  # type: ignore[valid-type]

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_only(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("not an ISO 8601 date-time with offset, e.g. 2026-11-30T08:00:00+01:00")
    return value


# A point in time as ISO 8601 with its offset only: `0.5` is not read as seconds since 1970.
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]
