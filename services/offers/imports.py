"""Bulk import files (JSON lines or CSV) → validated rows with their errors; no web framework.

JSON lines use the partner format of `npa.contracts.partner_lines` (also read by `npa-partner
publish`). CSV (UTF-8, a header row, `;` or `,`) has the column `external_id`, optionally
`delete`, and any fields of the offer body; list fields (`fields`, `languages`,
`target_groups`) are separated by `|`, booleans are `ja/nein/true/false/1/0`, dates ISO
(`2026-03-01`) or German (`01.03.2026`), and an empty cell means "not given".

Every row ends up in `npa.contracts.partner_lines.validate_line`, i.e. `OfferBody`, the one
validation path of REST, bulk import and Kafka. Within one file only the last row of an
external_id counts; earlier ones are reported as replaced.
"""

import csv
import io
import re
from datetime import date
from types import UnionType
from typing import Any, Literal, get_args, get_origin

from npa.contracts.offer_body import OfferBody
from npa.contracts.partner_lines import ParsedLine, error, iter_jsonl, validate_line

MAX_ROWS = 10_000
Format = Literal["jsonl", "csv"]
CONTENT_TYPES: dict[str, Format] = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "text/csv": "csv",
}
LIST_SEPARATOR = "|"
BOOLEANS = {"ja": True, "true": True, "1": True, "nein": False, "false": False, "0": False}
GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _types(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)


LIST_FIELDS = frozenset(name for name, info in OfferBody.model_fields.items()
                        if any(get_origin(kind) is list for kind in _types(info.annotation)))
BOOL_FIELDS = frozenset(name for name, info in OfferBody.model_fields.items() if info.annotation is bool)
DATE_FIELDS = frozenset(name for name, info in OfferBody.model_fields.items() if date in _types(info.annotation))
CSV_COLUMNS = ("external_id", "delete", *OfferBody.model_fields)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header): nothing is applied."""

    def __init__(self, loc: list[str], msg: str) -> None:
        super().__init__(msg)
        self.loc, self.msg = loc, msg


class TooManyRows(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} rows in one import; split the file into parts of "
                         f"at most {limit:,} rows")
        self.limit = limit


def format_of(content_type: str | None) -> Format | None:
    """`text/csv; charset=utf-8` → "csv"; None for anything else (also another charset)."""
    media_type, *parameters = (content_type or "").split(";")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return None
    return CONTENT_TYPES.get(media_type.strip().lower())


def parse(body: bytes, file_format: Format, *, max_rows: int = MAX_ROWS) -> list[ParsedLine]:
    """All rows of an import file, validated, with duplicates marked; raises for a bad file."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise ImportFileError(["body"], f"the file is not UTF-8 (byte {problem.start}); save it as UTF-8 "
                              "(Excel: 'CSV UTF-8')") from problem
    rows = parse_jsonl(text, max_rows) if file_format == "jsonl" else parse_csv(text, max_rows)
    mark_duplicates(rows)
    return rows


def parse_jsonl(text: str, max_rows: int = MAX_ROWS) -> list[ParsedLine]:
    lines = text.split("\n")  # not splitlines(): U+2028 may stand unescaped inside a JSON string
    if sum(1 for line in lines if line.strip()) > max_rows:
        raise TooManyRows(max_rows)
    return list(iter_jsonl(lines))


def parse_csv(text: str, max_rows: int = MAX_ROWS) -> list[ParsedLine]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = _header(next(reader, None))
    records: list[tuple[int, list[str]]] = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            records.append((line, cells))
            if len(records) > max_rows:
                raise TooManyRows(max_rows)
        line = reader.line_num + 1
    return [_csv_row(header, cells, row=number, line=start) for number, (start, cells) in enumerate(records, 1)]


def _header(cells: list[str] | None) -> list[str]:
    if not cells:
        raise ImportFileError(["header"], "the CSV file is empty; it needs a header row with external_id")
    header = [cell.strip().lower() for cell in cells]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise ImportFileError(["header", unknown[0]], f"unknown columns {unknown}; allowed: {list(CSV_COLUMNS)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportFileError(["header", repeated[0]], f"columns named more than once: {repeated}")
    if "external_id" not in header:
        raise ImportFileError(["header", "external_id"], "the header row needs the column external_id")
    return header


def _csv_row(header: list[str], cells: list[str], *, row: int, line: int) -> ParsedLine:
    if len(cells) != len(header):
        position = header.index("external_id")
        external_id = cells[position].strip() if position < len(cells) else ""
        return ParsedLine(row=row, line=line, external_id=external_id or None, errors=[
            error(["row"], f"has {len(cells)} cells, the header has {len(header)} (check the separator and quotes)")
        ])
    problems: list[dict[str, Any]] = []
    values = {name: cell.strip() for name, cell in zip(header, cells, strict=True) if cell.strip()}
    document: dict[str, Any] = {"external_id": values.pop("external_id", "")}
    delete = values.pop("delete", None)
    if delete is not None and _boolean(delete, ["delete"], problems):
        document["delete"] = True
        return validate_line(document, row=row, line=line, errors=problems)
    document["offer"] = {name: _cell(name, value, problems) for name, value in values.items()}
    return validate_line(document, row=row, line=line, errors=problems)


def _cell(name: str, value: str, problems: list[dict[str, Any]]) -> Any:
    if name in LIST_FIELDS:
        return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
    if name in BOOL_FIELDS:
        return _boolean(value, ["offer", name], problems)
    if name in DATE_FIELDS and (match := GERMAN_DATE.match(value)):
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def _boolean(value: str, loc: list[str], problems: list[dict[str, Any]]) -> bool:
    answer = BOOLEANS.get(value.lower())
    if answer is None:
        problems.append(error(loc, f"{value!r} is not a yes/no value; use ja/nein, true/false or 1/0"))
    return bool(answer)


def mark_duplicates(rows: list[ParsedLine]) -> None:
    """The last row of an external_id counts; earlier rows are rejected with a pointer to it."""
    last: dict[str, ParsedLine] = {}
    for row in rows:
        if row.external_id:
            last[row.external_id] = row
    for row in rows:
        winner = last.get(row.external_id or "")
        if winner is not None and winner is not row:
            row.errors.append(error(["external_id"], f"external_id {row.external_id!r} appears again in row "
                                    f"{winner.row} (line {winner.line}); the later row counts"))
            winner.replaces_rows.append(row.row)
