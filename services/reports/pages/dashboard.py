"""What the dashboard shows, computed once per request from one `Report`."""

from datetime import date
from itertools import groupby

from babel.dates import format_skeleton

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from npa.infrastructure import i18n
from npa.infrastructure.i18n import gettext as _
from npa.infrastructure.pages import field_name
from npa.infrastructure.portal import N_
from services.reports import domain
from services.reports.pages.charts import bar_chart
from services.reports.pages.choropleth import choropleth
from npa.infrastructure.map_shapes import ATTRIBUTION, ATTRIBUTION_URL
from services.reports.report import Report
from services.reports.tables import TABLES

DEFAULT_FIELD = next(iter(FIELDS))
# domain.POPULATION_NOTE_DE, marked for the catalogues (the template translates it)
POPULATION_NOTE = N_("Absolute Zahlen: Einwohnerzahlen liegen der Plattform nicht vor, daher keine Werte je "
                     "100.000 Einwohner; große Landkreise erscheinen dadurch besser versorgt.")
RECENT_EXAMPLES = 8


def share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "–"


def month_name(label: str) -> str:
    year, month = label.split("-")
    return format_skeleton("yMMM", date(int(year), int(month), 1), locale=i18n.locale(i18n.current()))


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
    name = field_name(field)
    state = report.state_rows()
    regions = report.region_rows(field)
    trend = report.trends()[field]
    return {
        "fields_chart": bar_chart("diagramm-felder", _("Aktive Angebote je Handlungsfeld in Niedersachsen"), [
            (field_name(row["field"]), row["active_offers"],
             _("%(num)d (%(new)d neu)") % {"num": row["active_offers"], "new": row["new_offers"]})
            for row in state
        ]),
        "regions_chart": bar_chart("diagramm-regionen", _("Aktive Angebote je ARL-Region: %(name)s") % {"name": name}, [
            (row["arl_region"], row["active_offers"],
             _("%(num)d (%(without)d von %(all)d LK ohne)") % {
                 "num": row["active_offers"], "without": row["districts_without_offers"], "all": row["districts"]})
            for row in regions
        ]),
        "trend_chart": bar_chart("diagramm-verlauf", _("Aktive Angebote am Monatsende: %(name)s") % {"name": name}, [
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
        "gender_by_field": [row(field_name(r["field"]), r) for r in report.state_rows()],
        "gender_by_region": [row(r["arl_region"], r) for r in report.region_rows(field)]
        + [row(_("Niedersachsen (mit landesweiten)"), report.state_rows(field)[0])],
    }


def dashboard_context(report: Report, field: str | None) -> dict:
    chosen = field if field in FIELDS else DEFAULT_FIELD
    return {
        "field": chosen,
        "field_name": field_name(chosen),
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
