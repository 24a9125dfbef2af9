"""JSON routes of the reports service: regions, coverage, gaps, notification figures."""

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Query, Request

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from npa.infrastructure.errors import invalid
from services.reports import domain, queries

router = APIRouter(prefix="/api/v1", tags=["reports"])

FIELD_QUERY = Query(None, description=f"only this field of action, one of {list(FIELDS)}")


def checked_field(field: str | None) -> str | None:
    if field is not None and field not in FIELDS:
        raise invalid("query", "field", f"unknown field of action {field!r}; allowed: {list(FIELDS)}")
    return field


def _engine(request: Request):  # noqa: ANN202
    return request.app.state.runtime.engine


def _as_of(request: Request) -> str | None:
    as_of = queries.data_as_of(_engine(request))
    return as_of.isoformat() if as_of else None


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
    request: Request,
    level: Literal["district", "arl"] = Query("district", description="district (45 × 5 rows) or arl (4 × 5 rows)"),
    field: str | None = FIELD_QUERY,
) -> dict:
    """Active offers, actors, multipliers and good examples per area × field; zeros included.

    State-wide items (no district) are counted only in `statewide`, never in an area.
    """
    field = checked_field(field)
    facts = queries.load_facts(_engine(request))
    by_district = domain.district_coverage(facts)
    if level == "district":
        rows = domain.district_rows(by_district, field)
    else:
        gaps = domain.find_gaps(by_district)
        rows = domain.arl_rows(domain.arl_coverage(facts), gaps, field)
    return {
        "level": level,
        "field": field,
        "as_of": _as_of(request),
        "rows": rows,
        "statewide": domain.statewide_block(by_district, field),
        "note": domain.STATEWIDE_NOTE,
    }


@router.get("/reports/gaps")
def gaps(request: Request, field: str | None = FIELD_QUERY) -> dict:
    """District × field pairs without an active offer, sorted by ARL region, district, field."""
    field = checked_field(field)
    by_district = domain.district_coverage(queries.load_facts(_engine(request)))
    found = domain.find_gaps(by_district)
    wanted = [gap for gap in found if field in (None, gap.field)]
    return {
        "field": field,
        "as_of": _as_of(request),
        "total": len(wanted),
        "gaps": [asdict(gap) for gap in wanted],
        "districts_without_offers": {
            slug: count for slug, count in domain.districts_without_offers(found).items() if field in (None, slug)
        },
        "statewide_offers": {
            slug: counts.active_offers for slug, counts in by_district.statewide.items() if field in (None, slug)
        },
        "note": domain.STATEWIDE_NOTE,
    }


@router.get("/reports/notifications")
def notifications(request: Request) -> dict:
    """Alerts sent and failed per field of action, and active subscriptions per field."""
    return {
        "as_of": _as_of(request),
        "fields": [asdict(figures) for figures in queries.notification_figures(_engine(request))],
    }
