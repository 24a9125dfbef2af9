"""The German report dashboard and the CSV export of every report table."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from npa.contracts.reference import FIELDS
from npa.infrastructure.errors import invalid
from npa.infrastructure.pages import make_templates
from services.reports import export
from services.reports.dependencies import reading
from services.reports.pages.dashboard import dashboard_context
from npa.infrastructure.map_shapes import map_shapes
from services.reports.report import Report
from services.reports.tables import TABLES

router = APIRouter(tags=["reports"])
templates = make_templates(Path(__file__).parent.parent)
map_shapes()  # project the district shapes at start-up, not in the first request

STATIC = Path(__file__).parent.parent / "static"
LANG_QUERY = Query("de", description="de: German headers; en: the API's field names")
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "`;`-separated, UTF-8 with BOM (see export.py)"}}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
def dashboard(
    request: Request,
    field: str | None = Query(None, description=f"the map's field of action, one of {list(FIELDS)}"),
    report: Report = Depends(reading),
) -> HTMLResponse:
    return templates.TemplateResponse(request, "reports.html", dashboard_context(report, field))


@router.get("/reports/static/reports.css", include_in_schema=False)
def reports_css() -> FileResponse:
    return FileResponse(STATIC / "reports.css", media_type="text/css")


@router.get("/reports/map.css", include_in_schema=False)
def map_css() -> Response:
    """Per district: draw its ring above the neighbours while it has focus or the pointer (a style
    sheet, not inline, for the CSP; the same 45 districts for every page)."""
    return Response(_ring_css(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


def _ring_css() -> str:
    selectors = [f".map-svg:has(#kreis-{ags}:is(:focus, :hover)) #ring-{ags}" for ags in sorted(map_shapes().shapes)]
    return ",\n".join(selectors) + " { display: inline; }\n"


def _csv(data: bytes, name: str) -> Response:
    filename = f"npa-{name}-{datetime.now(UTC):%Y-%m-%d}.csv"
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/reports/export.csv", response_class=Response, responses=CSV_RESPONSE)
def export_csv(lang: Literal["de", "en"] = LANG_QUERY, report: Report = Depends(reading)) -> Response:
    """The district × field coverage (45 × 5 rows) as CSV for Excel; the same as /reports/export/districts.csv."""
    return _csv(export.coverage_csv(report.district_rows(), lang), "abdeckung-landkreise")


@router.get("/reports/export/{table}.csv", response_class=Response, responses=CSV_RESPONSE)
def export_table(table: str, lang: Literal["de", "en"] = LANG_QUERY, report: Report = Depends(reading)) -> Response:
    """Any report table as CSV: districts, regions, state, gaps, weakest, trends, actors, totals, examples,
    notifications."""
    if table not in TABLES:
        raise invalid("path", "table", f"unknown table {table!r}; allowed: {list(TABLES)}", status=404)
    chosen = TABLES[table]
    return _csv(export.table_csv(chosen.columns, chosen.rows(report), lang), table)
