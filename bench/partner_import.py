"""Throughput of the partner bulk import, in-process, with real parts:

`POST /api/v1/partners/{id}/offers:import` (ASGI, no socket) of generated offers into the
offers service on a real SQLite file, with its outbox relay publishing to the real Tansu
broker. Measures the import of new rows (created), the identical re-import (unchanged), the
same rows as CSV (unchanged), how long until every event of the first import was on the
broker, and the parsing + validation share alone. The partner rate limit is switched off
(NPA_OFFERS_PARTNER_RATE_PER_MINUTE=0): it would make the second 10,000-row import wait.

    .venv/bin/python bench/partner_import.py [rows=10000]
"""

import asyncio
import csv
import io
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["NPA_OFFERS_PARTNER_RATE_PER_MINUTE"] = "0"
os.environ.setdefault("NPA_ADMIN_TOKEN", "bench-admin-token")

from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from npa.contracts import topics  # noqa: E402
from npa.contracts.envelope import encode, new_event  # noqa: E402
from npa.contracts.events import actors as actor_events  # noqa: E402
from npa.contracts.reference import districts  # noqa: E402
from npa.infrastructure.outbox import OutboxMessage  # noqa: E402
from services.offers import imports  # noqa: E402
from tests.support.processes import tansu_broker  # noqa: E402
from tests.support.services import eventually, produce, running_service, service_settings  # noqa: E402

LIST_FIELDS = ("fields", "languages", "target_groups")


def generated_offers(count: int) -> list[dict]:
    """Offers of realistic size: ~0.9 KB each as JSON (title, summary, description, lists, contact)."""
    rng = random.Random(42)
    keys = sorted(districts())
    fields = ["sprache", "arbeit", "engagement", "wohnen", "teilhabe"]
    offers = []
    for number in range(count):
        offers.append({"external_id": f"kurs-{number:05d}", "offer": {
            "title": f"Deutschkurs {rng.choice(['A1', 'A2', 'B1', 'B2'])} – Gruppe {number}",
            "summary": "Sprachkurs mit Kinderbetreuung für Neuzugewanderte, vormittags, in kleinen Gruppen. " * 2,
            "description": "Wir üben Alltagssituationen: Einkaufen, Arzttermine, Behördengänge, Elternabend. " * 7,
            "fields": rng.sample(fields, rng.randint(1, 2)),
            "district": rng.choice(keys),
            "languages": rng.sample(["de", "ar", "fa", "uk", "ru", "tr", "en"], 3),
            "target_groups": ["frauen", "familien"] if number % 3 == 0 else ["erwachsene"],
            "women_only": number % 3 == 0, "childcare": number % 2 == 0,
            "starts_on": "2027-01-15", "schedule": "Mo und Mi, 9–12 Uhr",
            "registration_url": f"https://kurse.example.org/anmeldung/{number}",
            "contact_email": "kurse@example.org",
        }})
    return offers


def as_jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()


def as_csv(rows: list[dict]) -> bytes:
    columns = ["external_id", *rows[0]["offer"]]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(columns)
    for row in rows:
        offer = row["offer"]
        writer.writerow([row["external_id"], *("|".join(offer[c]) if c in LIST_FIELDS else
                                               ("ja" if offer[c] else "nein") if isinstance(offer[c], bool) else
                                               offer[c] for c in columns[1:])])
    return out.getvalue().encode()


def pending_events(engine) -> int:  # noqa: ANN001
    with Session(engine) as session:
        return session.exec(select(func.count()).where(OutboxMessage.published_at.is_(None))).one()  # type: ignore[union-attr]


async def main() -> None:
    for chatty in ("faststream", "aiokafka", "kafka"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rows = generated_offers(count)
    jsonl_body, csv_body = as_jsonl(rows), as_csv(rows)
    started = time.perf_counter()
    parsed = imports.parse(jsonl_body, "jsonl")
    parse_seconds = time.perf_counter() - started
    assert all(row.valid for row in parsed)
    print(f"partner bulk import, {count:,} rows (JSONL {len(jsonl_body) / 2**20:.1f} MiB, CSV "
          f"{len(csv_body) / 2**20:.1f} MiB), in-process ASGI, SQLite file, real Tansu broker, {os.cpu_count()} cores")
    print(f"  parse + validate only (JSONL):       {count / parse_seconds:8,.0f} rows/s  ({parse_seconds:.2f} s)")
    with tansu_broker() as bootstrap, tempfile.TemporaryDirectory() as scratch:
        settings = service_settings("offers", database_url=f"sqlite:///{scratch}/offers.db", bootstrap=bootstrap)
        async with running_service(settings) as client:
            state = actor_events.ActorState(id="actor-1", version=1, name="VHS", kind="bildungstraeger",
                                            districts=[], fields=["sprache"])
            await produce(bootstrap, topics.ACTORS, encode(new_event(
                source=actor_events.SOURCE, type=actor_events.REGISTERED, subject="actor-1",
                data=state.model_dump(mode="json"))), key=b"actor-1")

            async def partner_created():
                response = await client.post("/api/v1/partners", json={"name": "Bench", "actor_id": "actor-1"},
                                             headers={"Authorization": f"Bearer {os.environ['NPA_ADMIN_TOKEN']}"})
                return response.json() if response.status_code == 201 else None

            partner = await eventually(partner_created)
            url = f"/api/v1/partners/{partner['id']}/offers:import"
            key = {"Authorization": f"Bearer {partner['api_key']}"}
            engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

            async def run(label: str, body: bytes, content_type: str, expect: str) -> float:
                began = time.perf_counter()
                response = await client.post(url, content=body, headers={**key, "Content-Type": content_type},
                                             timeout=None)
                seconds = time.perf_counter() - began
                summary = response.json()["summary"]
                assert response.status_code == 200 and summary[expect] == count, summary
                print(f"  {label:<36} {count / seconds:8,.0f} rows/s  ({seconds:.2f} s, HTTP 200, {expect} {count:,})")
                return began

            began = await run("create (JSONL):", jsonl_body, "application/x-ndjson", "created")
            while pending_events(engine):
                await asyncio.sleep(0.05)
            drained = time.perf_counter() - began
            print(f"  all {count:,} events on the broker        {count / drained:8,.0f} events/s ({drained:.2f} s "
                  "after the import started)")
            await run("unchanged re-import (JSONL):", jsonl_body, "application/x-ndjson", "unchanged")
            await run("unchanged re-import (CSV, ';'):", csv_body, "text/csv", "unchanged")


if __name__ == "__main__":
    asyncio.run(main())
