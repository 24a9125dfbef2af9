"""CSV export of every report table, made for German Excel.

- UTF-8 with a byte order mark: without it Excel reads the file as Windows-1252 and
  garbles umlauts ("Lüneburg").
- `;` as separator: German Excel uses `,` as the decimal mark and opens `;`-separated
  files with a double click; with `,` it would put each line into one cell.
- CRLF line ends (the csv module's default), as Excel writes them.
- Headers in German by default; `lang=en` gives the JSON field names of the API instead,
  for scripts. AGS keys keep their leading zero in the file; Excel drops it when it
  guesses a number, so import via "Daten > Aus Text/CSV" to keep it.
- Lists (languages, fields) are joined with ", "; decimals use the German comma with
  `lang=de`; yes/no as "ja"/"nein".
- Text that starts like a formula (`= + - @`, tab, CR) starts with an apostrophe instead.
"""

import csv
import io
from collections.abc import Iterable, Mapping

from npa.contracts.reference import FIELDS

BOM = "\ufeff"
SEPARATOR = ";"

COVERAGE_FIGURES = {
    "active_offers": "Aktive Angebote",
    "new_offers": "davon neu (30 Tage)",
    "women_only_offers": "davon nur für Frauen",
    "childcare_offers": "davon mit Kinderbetreuung",
    "free_offers": "davon kostenlos",
    "languages": "Sprachen",
    "actors": "Akteure",
    "multipliers": "davon Multiplikatoren",
    "examples": "Gute Beispiele",
}
FIELD_COLUMNS = {"field": "Handlungsfeld (Kürzel)", "field_name": "Handlungsfeld"}
DISTRICT_COLUMNS = {"district": "AGS", "district_name": "Landkreis / kreisfreie Stadt", "arl_region": "ARL-Region"}
COLUMNS = {**DISTRICT_COLUMNS, **FIELD_COLUMNS, **COVERAGE_FIGURES}
"""The district × field coverage, as `/reports/export.csv` has always had it (plus new figures)."""


# A cell a spreadsheet would read as a formula (CSV injection): `=`, `+`, `-`, `@`, and tab or
# CR, which some programs skip before looking for one. Such text gets a leading apostrophe
# (OWASP's advice): Excel and LibreOffice show the text and run nothing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: object, lang: str) -> object:
    if isinstance(value, bool):
        return ("ja" if value else "nein") if lang == "de" else str(value).lower()
    if isinstance(value, list | tuple):
        return neutralised(", ".join(str(item) for item in value))
    if isinstance(value, float) and lang == "de":
        return f"{value:g}".replace(".", ",")  # a number we format, never text someone entered
    if isinstance(value, str):
        return neutralised(value)
    return "" if value is None else value


def field_name(slug: str, lang: str) -> str:
    if slug in FIELDS:
        return FIELDS[slug]["de" if lang == "de" else "en"]
    return "alle Handlungsfelder" if lang == "de" else "all fields"


def table_csv(columns: Mapping[str, str], rows: Iterable[dict], lang: str = "de") -> bytes:
    """One line per row after a header line; `columns` maps API names to German headers.

    A `field_name` column is filled from the row's `field` slug.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR)
    writer.writerow(columns.values() if lang == "de" else columns.keys())
    for row in rows:
        values = {**row, "field_name": field_name(row["field"], lang)} if "field_name" in columns else row
        writer.writerow(_cell(values.get(column), lang) for column in columns)
    return (BOM + buffer.getvalue()).encode("utf-8")


def coverage_csv(rows: Iterable[dict], lang: str = "de") -> bytes:
    """The district × field coverage rows of `domain.district_rows`."""
    return table_csv(COLUMNS, rows, lang)
