"""The German report dashboard and the CSV export."""

from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from npa.infrastructure.pages import make_templates
from services.reports import domain, export, queries

router = APIRouter(tags=["reports"])
templates = make_templates(Path(__file__).parent)


def _engine(request: Request):  # noqa: ANN202
    return request.app.state.runtime.engine


def dashboard_context(facts: domain.Facts) -> dict:
    """Everything the dashboard shows, computed once from one snapshot of the read models."""
    by_district = domain.district_coverage(facts)
    by_region = domain.arl_coverage(facts)
    gaps = domain.find_gaps(by_district)
    known = districts()
    regions = [
        {
            "name": region,
            "districts": [
                {"ags": key, "name": known[key].name,
                 "offers": [by_district.at(key, slug).active_offers for slug in FIELDS]}
                for key in sorted(known, key=lambda key: known[key].name)
                if known[key].arl_region == region
            ],
        }
        for region in ARL_REGIONS
    ]
    missing = domain.gaps_per_region(gaps)
    totals = [
        {
            "name": region["name"],
            "districts": len(region["districts"]),
            "cells": [(by_region.at(region["name"], slug).active_offers, missing[(region["name"], slug)]) for slug in FIELDS],
        }
        for region in regions
    ]
    gap_list = [
        {"name": name, "arl_region": region, "fields": [gap.field for gap in items]}
        for (region, _key, name), items in groupby(gaps, key=lambda gap: (gap.arl_region, gap.district, gap.district_name))
    ]
    return {
        "regions": regions,
        "statewide": [by_district.statewide[slug].active_offers for slug in FIELDS],
        "totals": totals,
        "gap_list": gap_list,
        "gap_total": len(gaps),
        "without_offers": domain.districts_without_offers(gaps),
        "district_count": len(known),
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request) -> HTMLResponse:
    engine = _engine(request)
    context = dashboard_context(queries.load_facts(engine))
    context["as_of"] = queries.data_as_of(engine)
    context["notifications"] = queries.notification_figures(engine)
    return templates.TemplateResponse(request, "reports.html", context)


@router.get(
    "/reports/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "district × field coverage, `;`-separated, UTF-8 with BOM"}},
)
def export_csv(
    request: Request,
    lang: Literal["de", "en"] = Query("de", description="de: German headers; en: the API's field names"),
) -> Response:
    """The district × field coverage (45 × 5 rows) as CSV for Excel; see services/reports/export.py."""
    rows = domain.district_rows(domain.district_coverage(queries.load_facts(_engine(request))))
    filename = f"npa-abdeckung-landkreise-{datetime.now(UTC):%Y-%m-%d}.csv"
    return Response(
        export.coverage_csv(rows, lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
