"""Partners learn what happened (issue 11, point 4): the offers service serves the partner's
offers and refused messages over HTTP, and `npa-partner` says when a message it sent was
refused (exit status 1) — the offers service on a real port, the real broker, the real CLI."""

import asyncio
import json
import os
import subprocess
import sys

import httpx
import uvicorn

from npa.contracts import topics
from npa.contracts.envelope import encode
from npa.infrastructure.database import run_migrations
from npa.infrastructure.topics_admin import ensure_topics
from npa.partner_client.client import deleted
from services.offers.app import create_app
from tests.support.offers import OFFER, bearer, create_partner, register_actor
from tests.support.processes import free_port
from tests.support.services import ROOT, eventually, produce, service_settings

MODULE = [sys.executable, "-m", "npa.partner_client"]


async def test_a_partner_reads_back_its_offers_and_refusals_and_the_cli_reports_them(kafka_bootstrap, sqlite_url,
                                                                                     tmp_path):
    port = free_port()
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap, port=port,
                                public_base_urls={**service_settings("offers", database_url=sqlite_url,
                                                                     bootstrap=kafka_bootstrap).public_base_urls,
                                                  "offers": f"http://127.0.0.1:{port}"})
    run_migrations(ROOT / "services" / "offers" / "migrations", sqlite_url)
    await asyncio.to_thread(ensure_topics, kafka_bootstrap, settings.kafka_partitions)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        api = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=api, timeout=10) as client:
            await register_actor(kafka_bootstrap, "actor-1")
            partner, other = await create_partner(client, "actor-1"), await create_partner(client, "actor-1")
            key_file = tmp_path / "partner.key"
            key_file.write_bytes(partner["signing_key"].pem())
            env = {**os.environ, "NPA_PARTNER_API_KEY": partner["api_key"]}
            options = ["--partner-id", partner["id"], "--bootstrap", kafka_bootstrap, "--key-file", str(key_file),
                       "--api-url", api, "--wait", "20"]

            def cli(*args: str) -> subprocess.CompletedProcess:
                return subprocess.run([*MODULE, *args], capture_output=True, text=True, timeout=120, cwd=ROOT,
                                      env=env)

            lines = tmp_path / "offers.jsonl"
            lines.write_text("\n".join(json.dumps(line) for line in [
                {"external_id": "kurs-1", "offer": OFFER},
                {"external_id": "kurs-2", "offer": {**OFFER, "provider_actor_id": "nobody"}},  # valid, yet refused
            ]) + "\n", encoding="utf-8")
            published = await asyncio.to_thread(cli, "publish", str(lines), *options)
            assert published.returncode == 1, published.stdout + published.stderr
            assert published.stdout.splitlines() == ["sent 2, invalid 0, failed 0",
                                                     "applied 1, refused 1, unconfirmed 0"]
            assert "line 2: refused: data.offer.provider_actor_id: unknown or inactive actor 'nobody'" \
                in published.stderr

            fine = await asyncio.to_thread(cli, "delete", "kurs-1", *options)
            assert (fine.returncode, fine.stdout.splitlines()) == (0, ["sent 1, invalid 0, failed 0",
                                                                      "applied 1, refused 0, unconfirmed 0"])

            own = await client.get(f"/api/v1/partners/{partner['id']}/offers", headers=bearer(partner))
            assert own.status_code == 200, own.text
            assert [(item["external_id"], item["status"]) for item in own.json()["items"]] == [("kurs-1", "withdrawn")]
            assert own.json()["next_after"] is None

            forged = deleted(partner["id"], "kurs-1")  # unsigned: someone else may have sent it
            await produce(kafka_bootstrap, topics.PARTNER_OFFERS, encode(forged),
                          key=f"{partner['id']}:kurs-1".encode())

            async def refusals():  # noqa: ANN202
                answer = await client.get(f"/api/v1/partners/{partner['id']}/refusals", headers=bearer(partner))
                items = answer.json()["items"]
                return items if len(items) == 2 else None

            items = await eventually(refusals)
            assert [(item["external_id"], item["authenticated"]) for item in items] == [("kurs-1", False),
                                                                                        ("kurs-2", True)]
            assert items[0]["event_id"] == forged.id and items[0]["reason"].startswith("npasignature: missing")
            states = await client.get(f"/api/v1/partners/{partner['id']}/messages",
                                      params=[("id", forged.id), ("id", "not-sent")], headers=bearer(partner))
            assert [(item["state"], item["reason"] is not None) for item in states.json()["items"]] == [
                ("refused", True), ("unknown", False)]

            for path in ("offers", "refusals"):
                assert (await client.get(f"/api/v1/partners/{partner['id']}/{path}",
                                         headers=bearer(other))).status_code == 403
            assert (await client.get(f"/api/v1/partners/{partner['id']}/refusals")).status_code == 401

            status = await asyncio.to_thread(cli, "status", "--partner-id", partner["id"], "--api-url", api)
            assert status.returncode == 0, status.stderr
            report = status.stdout.splitlines()
            assert report[0] == "offers: withdrawn 1"
            assert report[1] == "refused messages (newest 20): 2"
            assert "kurs-1" in report[2] and "[not signed by you]" in report[2]
            assert "kurs-2" in report[3] and "unknown or inactive actor 'nobody'" in report[3]
    finally:
        server.should_exit = True
        await serving


def test_a_status_needs_the_service_and_the_key(capsys, monkeypatch):  # noqa: ANN001
    from npa.partner_client import cli

    monkeypatch.delenv("NPA_PARTNER_API_KEY", raising=False)
    monkeypatch.delenv("NPA_OFFERS_URL", raising=False)
    assert cli.main(["status", "--partner-id", "p"]) == 2
    assert "--api-url" in capsys.readouterr().err
