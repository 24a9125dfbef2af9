"""Reusable pydantic types for reference data, so every API names bad values the same way."""

from typing import Annotated

from pydantic import AfterValidator, Field

from npa.contracts.reference import ARL_REGIONS, FIELDS, is_district, is_region


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
