"""The partner's JSON-lines format, shared by `npa-partner publish` and the bulk import.

One line per offer change, UTF-8:

    {"external_id": "kurs-17", "offer": {...the offer body of the HTTP contract...}}
    {"external_id": "kurs-9", "delete": true}

Blank lines are skipped. Every offer is checked by `npa.contracts.offer_body.OfferBody`, the
one validation path of REST, bulk import and Kafka ingestion, so an error names the same
field (`offer.district`) whichever channel the partner uses.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from npa.contracts.events.partner_offers import ExternalId
from npa.contracts.offer_body import OfferBody

ONE_ACTION = 'a line needs either "offer": {…} or "delete": true'


class OfferLine(BaseModel):
    """One line: an upsert (`offer`) or a withdrawal (`delete: true`) of the partner's offer."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = ExternalId
    offer: OfferBody | None = None
    delete: Literal[True] | None = None

    @model_validator(mode="after")
    def one_action(self) -> "OfferLine":
        if (self.offer is None) == (self.delete is None):
            raise ValueError(ONE_ACTION)
        return self


@dataclass
class ParsedLine:
    """A line (or CSV row) after validation; `errors` is empty when it can be applied."""

    row: int  # 1-based number of the record (blank lines not counted)
    line: int  # 1-based line in the file where the record starts
    external_id: str | None
    offer: OfferBody | None = None
    delete: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    replaces_rows: list[int] = field(default_factory=list)  # earlier rows with the same external_id

    @property
    def valid(self) -> bool:
        return not self.errors


def error(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg}


def describe(errors: list[dict[str, Any]]) -> str:
    """`offer.district: unknown district key …; external_id: …` for terminals and logs."""
    return "; ".join(f"{'.'.join(str(part) for part in item['loc']) or 'line'}: {item['msg']}" for item in errors)


def validate_line(document: Any, *, row: int, line: int, errors: list[dict[str, Any]] | None = None) -> ParsedLine:
    """Check a decoded line; `errors` found before (CSV cell conversion) are kept and reported too."""
    found = list(errors or [])
    external_id = document.get("external_id") if isinstance(document, dict) else None
    parsed = ParsedLine(row=row, line=line, external_id=external_id if isinstance(external_id, str) else None)
    if not isinstance(document, dict):
        parsed.errors = [error(["line"], "not a JSON object")]
        return parsed
    try:
        model = OfferLine.model_validate(document)
    except ValidationError as problem:
        for item in problem.errors():
            loc = list(item["loc"]) or ["offer"]
            found.append(error(loc, item["msg"]))
        parsed.errors = found
        return parsed
    parsed.errors = found
    parsed.offer, parsed.delete = model.offer, bool(model.delete)
    return parsed


def parse_jsonl_line(text: str, *, row: int, line: int) -> ParsedLine:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as problem:
        return ParsedLine(row=row, line=line, external_id=None,
                          errors=[error(["line"], f"not JSON: {problem.msg} at column {problem.colno}")])
    return validate_line(document, row=row, line=line)


def iter_jsonl(lines: Iterable[str]) -> Iterator[ParsedLine]:
    """Validate JSON lines one by one (a file object works: it is read lazily)."""
    row = 0
    for number, text in enumerate(lines, start=1):
        if number == 1:
            text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
        if not text.strip():
            continue
        row += 1
        yield parse_jsonl_line(text, row=row, line=number)
