"""JSON routes of the reports service: regions, coverage, gaps, trends, recognition, examples, notifications."""

from typing import Literal

from fastapi import APIRouter, Depends, Query

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts, is_region
from npa.contracts.validation import FieldSlug, RegionName
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import known_query_only
from services.reports import domain
from services.reports.dependencies import reading
from services.reports.report import Report

router = APIRouter(prefix="/api/v1", tags=["reports"], dependencies=[Depends(known_query_only)])

FIELD_QUERY = Query(None, description="only this field of action")
LIMIT_QUERY = Query(None, ge=1, le=1000, description="at most this many rows (default: all)")


def checked_field(field: str | None) -> str | None:
    if field is not None and field not in FIELDS:
        raise invalid("query", "field", f"unknown field of action {field!r}; allowed: {list(FIELDS)}")
    return field


def _as_of(report: Report) -> str | None:
    return report.as_of.isoformat() if report.as_of else None


@router.get("/regions")
def list_regions() -> dict:
    """The 45 districts (AGS, name, kind, ARL region), the four ARL regions and the fields of action."""
    known = districts().values()
    return {
        "districts": [
            {"ags": d.ags, "name": d.name, "kind": d.kind, "arl_region": d.arl_region} for d in known
        ],
        "arl_regions": [
            {"name": region, "districts": [d.ags for d in known if d.arl_region == region]}
            for region in ARL_REGIONS
        ],
        "fields": [{"slug": slug, **names} for slug, names in FIELDS.items()],
    }


@router.get("/reports/coverage")
def coverage(
    level: Literal["district", "arl", "state"] = Query(
        "district", description="district (45 × 5 rows), arl (4 × 5 rows) or state (5 rows, state-wide items included)"),
    field: FieldSlug | None = FIELD_QUERY,
    report: Report = Depends(reading),
) -> dict:
    """Per area × field: active offers, offers new in the last 30 days, women-only, with childcare,
    free, languages offered, active actors, multipliers and good examples; zeros included.

    State-wide items (no district) count in no district or ARL region, only in `statewide`
    and in the state level.
    """
    field = checked_field(field)
    rows = {"district": report.district_rows, "arl": report.region_rows, "state": report.state_rows}[level](field)
    return {
        "level": level,
        "field": field,
        "as_of": _as_of(report),
        "new_offer_days": domain.NEW_OFFER_DAYS,
        "rows": rows,
        "statewide": domain.statewide_block(report.by_district, field),
        "note": domain.STATEWIDE_NOTE,
    }


@router.get("/reports/gaps")
def gaps(
    field: FieldSlug | None = FIELD_QUERY,
    limit: int = Query(domain.WEAKEST_LIMIT, ge=1, le=45, description="weakest districts per field"),
    report: Report = Depends(reading),
) -> dict:
    """District × field pairs without an active offer (sorted by ARL region, district, field), and
    per field the districts with fewer active offers than the state median (absolute counts)."""
    field = checked_field(field)
    found = report.gap_rows(field)
    return {
        "field": field,
        "as_of": _as_of(report),
        "total": len(found),
        "gaps": found,
        "districts_without_offers": {
            slug: count for slug, count in domain.districts_without_offers(report.gaps).items() if field in (None, slug)
        },
        "statewide_offers": {
            slug: counts.active_offers for slug, counts in report.by_district.statewide.items() if field in (None, slug)
        },
        "weakest": {
            "basis": "absolute_counts",
            "state_median": {slug: m for slug, m in domain.state_medians(report.by_district).items() if field in (None, slug)},
            "rows": report.weakest_rows(field, limit),
            "note": domain.POPULATION_NOTE,
        },
        "note": domain.STATEWIDE_NOTE,
    }


@router.get("/reports/trends")
def trends(
    region: RegionName | None = Query(None, description="a district key or ARL region name; default: the whole state"),
    field: FieldSlug | None = FIELD_QUERY,
    months: int = Query(domain.TREND_MONTHS, ge=1, le=60, description="calendar months (Europe/Berlin), oldest first"),
    report: Report = Depends(reading),
) -> dict:
    """Per month: offers active at its end, first published in it, ended in it, and active good
    examples; per field and for `alle` (an offer in several fields counted once)."""
    field = checked_field(field)
    if region is not None and not is_region(region):
        raise invalid("query", "region", f"unknown region {region!r}: a district key or one of {list(ARL_REGIONS)}")
    return {
        "region": region,
        "field": field,
        "months": months,
        "as_of": _as_of(report),
        "rows": report.trend_rows(region, field, months),
        "note": "Ohne Region zählen landesweite Angebote mit. / Without a region, state-wide offers are included.",
    }


@router.get("/reports/recognition")
def recognition(limit: int | None = LIMIT_QUERY, report: Report = Depends(reading)) -> dict:
    """The most active actors (offers and good examples ever published) and the thank-you totals."""
    return {
        "as_of": _as_of(report),
        "actors": report.actor_rows(limit),
        "totals": report.thank_you_rows(),
    }


@router.get("/reports/examples")
def good_examples(limit: int | None = LIMIT_QUERY, report: Report = Depends(reading)) -> dict:
    """Published good examples, the most recently published first, with their public page."""
    return {"as_of": _as_of(report), "rows": report.example_rows(limit)}


@router.get("/reports/notifications")
def notifications(report: Report = Depends(reading)) -> dict:
    """Alerts sent and failed per field of action, and active subscriptions per field."""
    return {"as_of": _as_of(report), "fields": report.notification_rows()}
