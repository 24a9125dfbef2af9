"""Bulk import of a partner's offers (JSON lines or CSV) with a per-row report.

`POST /api/v1/partners/{partner_id}/offers:import` with the file as the body. Parsing and
validation live in `services.offers.imports`; every valid row is applied on the same bulk
path as partner messages on Kafka (`usecases.partner_offers.import_partner_changes`), in
transactions of `CHUNK_ROWS` rows. Rejected rows change nothing and do not hold back the valid ones; if a
chunk fails to commit (e.g. a concurrent write of the same offer), its rows are applied one
by one. An import is idempotent: sending the same file again reports `unchanged`.
"""

import asyncio
import re
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.exc import IntegrityError

from npa.contracts.partner_lines import ParsedLine, error
from npa.infrastructure.body_limit import MiB
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers import imports
from services.offers.api import rate_limit
from services.offers.api.dependencies import PartnerAccess, authorize_partner, base_url, runtime
from services.offers.models import Partner
from services.offers.usecases import partners
from services.offers.usecases.partner_offers import REJECTED, ChangeOutcome, PartnerChange, import_partner_changes

# 10,000 rows do not fit in the 1 MiB every other route accepts: an offer with a title, a
# summary and a description of a few hundred characters, lists, a URL and an e-mail address
# takes ~1.2 KB as a JSON line, so 10,000 are ~11.5 MiB (bench/partner_import.py; ~9 MiB as CSV).
IMPORT_LIMIT = 16 * MiB
IMPORT_PATH = re.compile(r"^/api/v1/partners/[^/]+/offers:import$")

router = APIRouter(tags=["partners"])

CHUNK_ROWS = 500
RESULTS = ("created", "updated", "unchanged", "withdrawn", "rejected")
JSONL_EXAMPLE = (
    '{"external_id": "kurs-17", "offer": {"title": "Deutschkurs A1", "fields": ["sprache"], "district": "03241"}}\n'
    '{"external_id": "kurs-9", "delete": true}\n'
)
CSV_EXAMPLE = (
    "external_id;title;fields;district;languages;women_only\n"
    "kurs-17;Deutschkurs A1 für Mütter;sprache;03241;de|ar;ja\n"
)
OPENAPI = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string"}, "example": JSONL_EXAMPLE},
    "application/jsonl": {"schema": {"type": "string"}, "example": JSONL_EXAMPLE},
    "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
}}}


@router.post("/partners/{partner_id}/offers:import", openapi_extra=OPENAPI, responses={
    403: {"description": "the API key belongs to another partner"},
    413: {"description": f"more than {imports.MAX_ROWS:,} rows, or a body larger than 16 MiB"},
    415: {"description": "not application/x-ndjson, application/jsonl or text/csv (UTF-8)"},
    429: {"description": "the partner's rate limit is exhausted; see Retry-After"},
})
async def import_partner_offers(
    partner_id: str, request: Request, access: PartnerAccess = Depends(authorize_partner)
) -> dict:
    """Create, update or withdraw up to 10,000 of the partner's offers from one file.

    JSON lines: `{"external_id": "…", "offer": {…offer body…}}` or `{"external_id": "…",
    "delete": true}` per line. CSV (UTF-8, header row, `;` or `,`): column `external_id`,
    optional `delete`, and offer body fields; lists separated by `|`, booleans `ja/nein`,
    an empty cell means not given. Answers a summary and one entry per row; invalid rows are
    reported with the field (`loc`) and change nothing, valid rows are applied.
    """
    content_type = request.headers.get("content-type")
    file_format = imports.format_of(content_type)
    if file_format is None:
        raise HTTPException(415, f"unsupported content type {content_type!r}: send JSON lines as "
                            f"application/x-ndjson or application/jsonl, or CSV as text/csv, in UTF-8")
    service = runtime(request)
    try:
        partner = await asyncio.to_thread(partners.get_partner, service, partner_id)
    except partners.PartnerNotFound as problem:
        raise HTTPException(404, str(problem)) from problem
    body = await request.body()
    try:
        rows = await asyncio.to_thread(imports.parse, body, file_format)
    except imports.TooManyRows as problem:
        raise HTTPException(413, str(problem)) from problem
    except imports.ImportFileError as problem:
        raise HTTPException(422, [{"loc": ["body", *problem.loc], "msg": problem.msg, "type": "value_error"}]) \
            from problem
    if not access.admin:
        rate_limit.charge(request, partner.id, rate_limit.import_cost(len(rows)))
    outcomes = await asyncio.to_thread(apply_rows, service, partner, rows, base_url(request))
    counts = Counter(outcome["result"] for outcome in outcomes)
    summary = {result: counts[result] for result in RESULTS}
    summary |= {"rows": len(rows), "duplicates": sum(len(row.replaces_rows) for row in rows)}
    return {"summary": summary, "rows": outcomes}


def apply_rows(uow: UnitOfWork, partner: Partner, rows: list[ParsedLine], base: str) -> list[dict]:
    """Apply the valid rows chunk by chunk; one report entry per row, in file order."""
    outcomes: dict[int, dict] = {row.row: _report(row, "rejected") for row in rows if not row.valid}
    valid = [row for row in rows if row.valid]
    for start in range(0, len(valid), CHUNK_ROWS):
        chunk = valid[start:start + CHUNK_ROWS]
        try:
            outcomes.update(_apply_chunk(uow, partner, chunk, base))
        except IntegrityError:  # e.g. a concurrent write of the same offer: apply the rows one by one
            for row in chunk:
                try:
                    outcomes.update(_apply_chunk(uow, partner, [row], base))
                except IntegrityError as refused:
                    outcomes[row.row] = _report(row, "rejected", errors=[error(
                        ["external_id"], f"the database refused this row ({refused.orig}); the other rows "
                        "were applied; send it again")])
    return [outcomes[row.row] for row in rows]


def _apply_chunk(uow: UnitOfWork, partner: Partner, rows: list[ParsedLine], base: str) -> dict[int, dict]:
    """The rows through the same bulk path as the partner topic, in one transaction."""
    changes = [PartnerChange(partner.id, row.external_id or "", None if row.delete else row.offer) for row in rows]
    outcomes = import_partner_changes(uow, changes, base_url=base)
    return {row.row: _reported(row, outcome) for row, outcome in zip(rows, outcomes, strict=True)}


def _reported(row: ParsedLine, outcome: ChangeOutcome) -> dict[str, Any]:
    if outcome.result != REJECTED:
        return _report(row, outcome.result, outcome.offer_id)
    loc = [outcome.field] if outcome.field in ("external_id", "partner_id") else ["offer", outcome.field]
    return _report(row, REJECTED, outcome.offer_id, [error(loc, outcome.reason)])


def _report(row: ParsedLine, result: str, offer_id: str | None = None, errors: list | None = None) -> dict[str, Any]:
    report = {"row": row.row, "line": row.line, "external_id": row.external_id, "result": result,
              "offer_id": offer_id, "errors": errors if errors is not None else row.errors}
    if row.replaces_rows:
        report["replaces_rows"] = row.replaces_rows
    return report
