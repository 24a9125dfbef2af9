"""The partner client (library and `npa-partner` command) against the real broker and the offers service."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from npa.contracts import topics
from npa.contracts.envelope import decode
from npa.contracts.events import partner_offers as partner_events
from npa.partner_client import PartnerClient, iter_jsonl
from tests.support.offers import OFFER, create_partner, register_actor
from tests.support.services import eventually, read_topic, running_service, service_settings

ROOT = Path(__file__).resolve().parents[2]
LINES = [
    {"external_id": "kurs-1", "offer": OFFER},
    {"external_id": "kurs-2", "offer": {**OFFER, "district": "99999"}},
    {"external_id": "kurs-3", "offer": {**OFFER, "title": "Sprachcafé für Mütter", "fields": ["sprache", "teilhabe"]}},
]


def write_jsonl(path: Path, documents: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in documents) + "\n", encoding="utf-8")
    return path


MODULE = [sys.executable, "-m", "npa.partner_client"]


def console_script() -> list[str]:
    """`.venv/bin/npa-partner` as `make` installs it; `python -m` where the package is not installed."""
    script = Path(sys.executable).parent / "npa-partner"
    return [str(script)] if script.exists() else MODULE


async def offers_of(client, partner_id: str) -> dict:  # noqa: ANN001
    listing = (await client.get("/api/v1/offers", params={"status": "published"})).json()
    return {item["external_id"]: item for item in listing["items"] if item["partner_id"] == partner_id}


async def test_publish_sends_valid_offers_and_reports_the_invalid_line(kafka_bootstrap, sqlite_url, tmp_path):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        path = write_jsonl(tmp_path / "offers.jsonl", LINES)

        def publish():
            with PartnerClient(partner["id"], kafka_bootstrap, signing_key=partner["signing_key"]) as producer, path.open(encoding="utf-8") as lines:
                return producer.publish(iter_jsonl(lines))

        report = await asyncio.to_thread(publish)
        assert (report.sent, [line.line for line in report.invalid], report.failed) == (2, [2], [])
        assert report.problems() == [
            "line 2: offer.district: Value error, unknown district key '99999'; use a Lower Saxony AGS "
            "(e.g. 03241) or null"]

        sent = await read_topic(kafka_bootstrap, topics.PARTNER_OFFERS, expected=3, timeout=2)
        assert len(sent) == 2, "the invalid line must not be sent"
        first = decode(sent[0].value) if sent[0].key.endswith(b"kurs-1") else decode(sent[1].value)
        assert first.type == partner_events.UPSERTED and first.source == f"/partners/{partner['id']}"
        assert first.subject == partner_events.key_of(partner["id"], "kurs-1")
        assert set(first.data) == {"partner_id", "external_id", "offer"}
        assert {record.key for record in sent} == {f"{partner['id']}:kurs-1".encode(), f"{partner['id']}:kurs-3".encode()}
        assert dict(sent[0].headers)["content-type"] == b"application/cloudevents+json"

        async def arrived():
            offers = await offers_of(client, partner["id"])
            return offers if set(offers) == {"kurs-1", "kurs-3"} else None

        offers = await eventually(arrived)
        assert offers["kurs-3"]["title"] == "Sprachcafé für Mütter"
        assert offers["kurs-1"]["provider_actor_id"] == "actor-1"
        assert await read_topic(kafka_bootstrap, topics.dead_letter(topics.PARTNER_OFFERS), expected=1, timeout=1) == []


async def test_the_command_line_publishes_and_deletes(kafka_bootstrap, sqlite_url, tmp_path):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        path = write_jsonl(tmp_path / "offers.jsonl", LINES)
        key_file = tmp_path / "partner.key"
        key_file.write_bytes(partner["signing_key"].pem())
        options = ["--partner-id", partner["id"], "--bootstrap", kafka_bootstrap, "--key-file", str(key_file)]

        def run(*args: str, launcher: list[str] = MODULE) -> subprocess.CompletedProcess:
            return subprocess.run([*launcher, *args, *options], capture_output=True, text=True, timeout=120,
                                  cwd=ROOT)

        published = await asyncio.to_thread(run, "publish", str(path), "--compression", "gzip",
                                            launcher=console_script())
        assert published.returncode == 1, published.stderr  # one line was invalid
        assert published.stdout.strip() == "sent 2, invalid 1, failed 0"
        assert "line 2: offer.district:" in published.stderr and "99999" in published.stderr

        async def published_offers():
            offers = await offers_of(client, partner["id"])
            return offers if set(offers) == {"kurs-1", "kurs-3"} else None

        offers = await eventually(published_offers)

        deleted = await asyncio.to_thread(run, "delete", "kurs-1", "not valid")
        assert deleted.returncode == 1
        assert deleted.stdout.strip() == "sent 1, invalid 1, failed 0"
        assert "argument 2: external_id:" in deleted.stderr

        async def withdrawn():
            offer = (await client.get(f"/api/v1/offers/{offers['kurs-1']['id']}")).json()
            return offer["status"] == "withdrawn"

        await eventually(withdrawn)
        fine = await asyncio.to_thread(run, "delete", "kurs-3")
        assert (fine.returncode, fine.stdout.strip()) == (0, "sent 1, invalid 0, failed 0")
        records = await read_topic(kafka_bootstrap, topics.PARTNER_OFFERS, expected=4)
        types = sorted(decode(record.value).type for record in records)
        assert types == [partner_events.DELETED, partner_events.DELETED, partner_events.UPSERTED,
                         partner_events.UPSERTED]
