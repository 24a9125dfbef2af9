"""What the dashboard shows, computed once per request from one `Report`."""

from itertools import groupby

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from services.reports import domain
from services.reports.pages.charts import bar_chart
from services.reports.pages.choropleth import choropleth
from npa.infrastructure.map_shapes import ATTRIBUTION, ATTRIBUTION_URL
from services.reports.report import Report
from services.reports.tables import TABLES

DEFAULT_FIELD = next(iter(FIELDS))
RECENT_EXAMPLES = 8


def share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "–"


def month_name(label: str) -> str:
    year, month = label.split("-")
    names = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
    return f"{names[int(month) - 1]} {year}"


def overview(report: Report) -> dict:
    """The offers-per-field matrix by district, the region sums and the gap list."""
    known = districts()
    by_district, gaps = report.by_district, report.gaps
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
            "cells": [(report.by_region.at(region["name"], slug).active_offers, missing[(region["name"], slug)])
                      for slug in FIELDS],
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


def charts(report: Report, field: str) -> dict:
    field_name = FIELDS[field]["de"]
    state = report.state_rows()
    regions = report.region_rows(field)
    trend = report.trends()[field]
    return {
        "fields_chart": bar_chart("diagramm-felder", "Aktive Angebote je Handlungsfeld in Niedersachsen", [
            (FIELDS[row["field"]]["de"], row["active_offers"], f"{row['active_offers']} ({row['new_offers']} neu)")
            for row in state
        ]),
        "regions_chart": bar_chart("diagramm-regionen", f"Aktive Angebote je ARL-Region: {field_name}", [
            (row["arl_region"], row["active_offers"],
             f"{row['active_offers']} ({row['districts_without_offers']} von {row['districts']} LK ohne)")
            for row in regions
        ]),
        "trend_chart": bar_chart("diagramm-verlauf", f"Aktive Angebote am Monatsende: {field_name}", [
            (month_name(point.month), point.active_offers,
             f"{point.active_offers} (+{point.new_offers} / −{point.ended_offers})")
            for point in trend
        ]),
        "trend": trend,
    }


def gender(report: Report, field: str) -> dict:
    def row(name: str, counts: dict) -> dict:
        active = counts["active_offers"]
        return {"name": name, "active": active, "women": counts["women_only_offers"],
                "women_share": share(counts["women_only_offers"], active), "childcare": counts["childcare_offers"],
                "childcare_share": share(counts["childcare_offers"], active)}

    return {
        "gender_by_field": [row(FIELDS[r["field"]]["de"], r) for r in report.state_rows()],
        "gender_by_region": [row(r["arl_region"], r) for r in report.region_rows(field)]
        + [row("Niedersachsen (mit landesweiten)", report.state_rows(field)[0])],
    }


def dashboard_context(report: Report, field: str | None) -> dict:
    chosen = field if field in FIELDS else DEFAULT_FIELD
    return {
        "field": chosen,
        "field_name": FIELDS[chosen]["de"],
        "field_error": field is not None and field not in FIELDS,
        "as_of": report.as_of,
        "map": choropleth(report.by_district, chosen),
        "attribution": ATTRIBUTION,
        "attribution_url": ATTRIBUTION_URL,
        "map_rows": report.district_rows(chosen),
        "weakest": {slug: rows[:domain.WEAKEST_LIMIT] for slug, rows in report.weakest.items()},
        "medians": domain.state_medians(report.by_district),
        "weakest_limit": domain.WEAKEST_LIMIT,
        "population_note": domain.POPULATION_NOTE_DE,
        "examples": report.example_rows(RECENT_EXAMPLES),
        "examples_by_field": {row["field"]: row["examples"] for row in report.state_rows()},
        "examples_total": report.examples_total,
        "actors": report.actor_rows(domain.TOP_ACTORS),
        "thank_you": report.thank_you_rows(),
        "notifications": report.notifications,
        "tables": TABLES,
        "new_offer_days": domain.NEW_OFFER_DAYS,
        **overview(report),
        **charts(report, chosen),
        **gender(report, chosen),
    }
