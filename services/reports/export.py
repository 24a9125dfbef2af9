"""CSV export of the district × field coverage, made for German Excel.

- UTF-8 with a byte order mark: without it Excel reads the file as Windows-1252 and
  garbles umlauts ("Lüneburg").
- `;` as separator: German Excel uses `,` as the decimal mark and opens `;`-separated
  files with a double click; with `,` it would put each line into one cell.
- CRLF line ends (the csv module's default), as Excel writes them.
- Headers in German by default; `lang=en` gives the JSON field names of the API instead,
  for scripts. AGS keys keep their leading zero in the file; Excel drops it when it
  guesses a number, so import via "Daten > Aus Text/CSV" to keep it.
"""

import csv
import io
from collections.abc import Iterable

from npa.contracts.reference import FIELDS

BOM = "\ufeff"
SEPARATOR = ";"

COLUMNS = {
    "district": "AGS",
    "district_name": "Landkreis / kreisfreie Stadt",
    "arl_region": "ARL-Region",
    "field": "Handlungsfeld (Kürzel)",
    "field_name": "Handlungsfeld",
    "active_offers": "Aktive Angebote",
    "women_only_offers": "davon nur für Frauen",
    "childcare_offers": "davon mit Kinderbetreuung",
    "free_offers": "davon kostenlos",
    "actors": "Akteure",
    "multipliers": "davon Multiplikatoren",
    "examples": "Gute Beispiele",
}


def coverage_csv(rows: Iterable[dict], lang: str = "de") -> bytes:
    """One line per district × field row of `domain.district_rows`, after a header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR)
    writer.writerow(COLUMNS.values() if lang == "de" else COLUMNS.keys())
    for row in rows:
        values = {**row, "field_name": FIELDS[row["field"]]["de" if lang == "de" else "en"]}
        writer.writerow(values[column] for column in COLUMNS)
    return (BOM + buffer.getvalue()).encode("utf-8")
