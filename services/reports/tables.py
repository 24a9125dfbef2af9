"""Every table of the reports, by name: its German title, its columns and its rows.

`/reports/export/<name>.csv` serves each one, the dashboard links to it beside the table
it shows, and the rebuild check compares them all.
"""

from collections.abc import Callable
from dataclasses import dataclass

from npa.infrastructure.portal import N_
from services.reports.export import COLUMNS, COVERAGE_FIGURES, DISTRICT_COLUMNS, FIELD_COLUMNS
from services.reports.report import Report


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: dict[str, str]
    rows: Callable[[Report], list[dict]]


WEAK_COLUMNS = {**DISTRICT_COLUMNS, **FIELD_COLUMNS, "active_offers": "Aktive Angebote",
                "state_median": "Median der Landkreise", "share_of_median": "Anteil am Median"}

TABLES = {table.name: table for table in (
    Table("districts", N_("Abdeckung je Landkreis und Handlungsfeld"), COLUMNS, lambda r: r.district_rows()),
    Table("regions", N_("Abdeckung je ARL-Region und Handlungsfeld"),
          {"arl_region": "ARL-Region", **FIELD_COLUMNS, "districts": "Landkreise",
           "districts_without_offers": "Landkreise ohne Angebot", **COVERAGE_FIGURES},
          lambda r: r.region_rows()),
    Table("state", N_("Niedersachsen je Handlungsfeld (mit landesweiten Angeboten)"),
          {"area": "Gebiet", **FIELD_COLUMNS, **COVERAGE_FIGURES, "statewide_offers": "davon landesweite Angebote"},
          lambda r: r.state_rows()),
    Table("gaps", N_("Lücken: Landkreise ohne aktives Angebot je Handlungsfeld"),
          {**DISTRICT_COLUMNS, **FIELD_COLUMNS}, lambda r: r.gap_rows()),
    Table("weakest", N_("Landkreise unter dem Median je Handlungsfeld (absolute Zahlen)"), WEAK_COLUMNS,
          lambda r: r.weakest_rows()),
    Table("trends", N_("Monatliche Entwicklung in Niedersachsen"),
          {"month": "Monat", **FIELD_COLUMNS, "active_offers": "Aktive Angebote am Monatsende",
           "new_offers": "Neu veröffentlicht", "ended_offers": "Beendet", "active_examples": "Gute Beispiele am Monatsende"},
          lambda r: r.trend_rows()),
    Table("actors", N_("Aktivste Akteure"),
          {"actor_id": "Akteur-ID", "name": "Name", "kind": "Art", "is_multiplier": "Multiplikator",
           "offers_published": "Angebote veröffentlicht", "offers_active": "davon aktiv",
           "examples_published": "Gute Beispiele veröffentlicht", "total_published": "Summe"},
          lambda r: r.actor_rows()),
    Table("totals", N_("Dank und Anerkennung: Summen"), {"figure": "Kennzahl (Kürzel)", "label": "Kennzahl", "value": "Wert"},
          lambda r: r.thank_you_rows()),
    Table("examples", N_("Gute Beispiele"),
          {"id": "ID", "title": "Titel", "district": "AGS", "district_name": "Landkreis / kreisfreie Stadt",
           "fields": "Handlungsfelder", "actor_id": "Akteur-ID", "page_url": "Seite", "published_at": "Veröffentlicht"},
          lambda r: r.example_rows()),
    Table("notifications", N_("Benachrichtigungen je Handlungsfeld"),
          {**FIELD_COLUMNS, "sent": "versandt", "failed": "fehlgeschlagen", "active_subscriptions": "aktive Abonnements"},
          lambda r: r.notification_rows()),
)}
