"""Every input boundary (issue 10): control characters, lone surrogates, 64-bit integers and
guessing coercions answer 4xx naming the field on REST, and go to `.dlq` with the reason on
the bus; nothing changes, nothing 500s, and no e-mail address of a request reaches a log."""

import importlib
import json
import logging

import httpx
import pytest
from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.envelope import encode
from npa.infrastructure.database import run_migrations
from npa.infrastructure.outbox import OutboxMessage
from npa.partner_client.client import upserted
from tests.support.offers import OFFER, bearer, create_partner, register_actor
from tests.support.services import ADMIN, ROOT, eventually, produce, read_topic, running_service, service_settings

SECRET_ADDRESS = "geheim.person@example.org"
ACTOR = {"name": "VHS Hannover", "kind": "bildungstraeger", "fields": ["sprache"], "email": SECRET_ADDRESS}


def raw_json(document: dict) -> dict:
    """A body as a client may send it: `\\ud800` is valid JSON (httpx cannot encode it itself)."""
    return {"content": json.dumps(document).encode(), "headers": {**ADMIN, "Content-Type": "application/json"}}


async def app_client(service: str, sqlite_url: str) -> httpx.AsyncClient:
    """The app without its lifespan (no broker): the HTTP boundary and a real database."""
    run_migrations(ROOT / "services" / service / "migrations", sqlite_url)
    settings = service_settings(service, database_url=sqlite_url, bootstrap="127.0.0.1:9")
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                               base_url=settings.public_base_url)
    client.app = app  # type: ignore[attr-defined]
    return client


def outbox_rows(client: httpx.AsyncClient) -> int:
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        return len(list(session.exec(select(OutboxMessage))))


def assert_field(response: httpx.Response, *loc: str | int, status: int = 422, says: str = "") -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert [list(item["loc"]) for item in detail][0] == list(loc), detail
    assert says in detail[0]["msg"], detail
    assert SECRET_ADDRESS not in response.text or loc[-1] == "email"


@pytest.fixture
def no_secrets_logged(caplog):  # noqa: ANN001, ANN201
    caplog.set_level(logging.DEBUG)
    yield
    assert SECRET_ADDRESS not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR], caplog.text


async def test_actors_boundary(sqlite_url, no_secrets_logged):  # noqa: ANN001
    async with await app_client("actors", sqlite_url) as client:
        post = "/api/v1/actors"
        assert_field(await client.post(post, json={**ACTOR, "name": "VHS\r\nBcc: x"}, headers=ADMIN),
                     "body", "name", says="U+000D")
        assert_field(await client.post(post, json={**ACTOR, "name": "VHS\x00"}, headers=ADMIN), "body", "name")
        assert_field(await client.post(post, **raw_json({**ACTOR, "description": "Kurse \ud800"})),
                     "body", "description", says="lone surrogate")
        assert_field(await client.post(post, **raw_json({**ACTOR, "districts": ["0324\ud800"]})),
                     "body", "districts", 0, says="lone surrogate")
        assert_field(await client.post(post, json={**ACTOR, "is_multiplier": "yes"}, headers=ADMIN),
                     "body", "is_multiplier")
        assert_field(await client.post(post, json={**ACTOR, "is_multiplier": 1}, headers=ADMIN),
                     "body", "is_multiplier")
        assert_field(await client.post(post, json={**ACTOR, "postcode": 2**64}, headers=ADMIN),
                     "body", "postcode", says="out of range")
        assert_field(await client.get(post, params={"offset": "9223372036854775808"}), "query", "offset")
        assert_field(await client.get(post, params={"q": "Kurs\x00"}), "query", "q", says="U+0000")
        assert_field(await client.get(post + "/abc%00"), "path", says="U+0000")
        assert outbox_rows(client) == 0, "a refused request changes nothing"
        created = await client.post(post, json={**ACTOR, "description": "Zeile 1\r\nZeile 2\tmit Tab"},
                                    headers=ADMIN)
        assert created.status_code == 201, created.text
        assert created.json()["description"] == "Zeile 1\nZeile 2\tmit Tab"


async def test_notifications_boundary(sqlite_url, no_secrets_logged):  # noqa: ANN001
    async with await app_client("notifications", sqlite_url) as client:
        post = "/api/v1/subscriptions"
        body = {"email": SECRET_ADDRESS, "fields": ["sprache"]}
        assert_field(await client.post(post, **raw_json({**body, "fields": ["sprache\ud800"]})),
                     "body", "fields", 0, says="lone surrogate")
        assert_field(await client.post(post, **raw_json({**body, "email": "geheim\ud800@example.org"})),
                     "body", "email", says="lone surrogate")
        assert_field(await client.post(post, json={**body, "examples": "yes"}), "body", "examples")
        assert_field(await client.post(post, json={**body, "new_actors": "true"}), "body", "new_actors")
        assert_field(await client.get("/api/v1/deliveries", params={"offset": 2**63}, headers=ADMIN),
                     "query", "offset")
        assert_field(await client.get("/api/v1/deliveries", params={"until": "0.5"}, headers=ADMIN),
                     "query", "until", says="ISO 8601")
        assert (await client.get("/api/v1/deliveries", params={"until": "2026-11-30T08:00:00+01:00"},
                                 headers=ADMIN)).status_code == 200
        assert_field(await client.post("/subscriptions", data={**body, "fields": "sprache", "language": "de\x00"}),
                     "body", "language", says="U+0000")
        assert outbox_rows(client) == 0


async def test_offers_boundary_on_rest_and_on_the_bus(kafka_bootstrap, sqlite_url, no_secrets_logged):  # noqa: ANN001
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client, "actor-1")
        put = f"/api/v1/partners/{partner['id']}/offers/kurs-1"
        offer = {**OFFER, "contact_email": SECRET_ADDRESS}
        assert_field(await client.put(put, json={**offer, "women_only": "yes"}, headers=bearer(partner)),
                     "body", "women_only")
        assert_field(await client.put(put, json={**offer, "title": "Kurs\r\nA1"}, headers=bearer(partner)),
                     "body", "title", says="only multi-line texts")
        assert_field(await client.put(put, json={**offer, "city": "Han\u2028nover"}, headers=bearer(partner)),
                     "body", "city", says="U+2028")
        assert_field(await client.put(put, content=json.dumps({**offer, "summary": "\udfff"}).encode(),
                                      headers={**bearer(partner), "Content-Type": "application/json"}),
                     "body", "summary", says="lone surrogate")
        assert_field(await client.get("/api/v1/offers", params={"offset": "9223372036854775808"}), "query", "offset")
        assert_field(await client.get("/api/v1/examples", params={"offset": "9223372036854775808"}), "query",
                     "offset")
        assert_field(await client.post("/api/v1/offers", json={**offer, "childcare": "ja"}, headers=ADMIN),
                     "body", "childcare")
        created = await client.put(put, json={**offer, "description": "Vormittags.\nMit Kinderbetreuung."},
                                   headers=bearer(partner))
        assert created.status_code == 201, created.text
        assert_field(await client.patch(f"/api/v1/offers/{created.json()['id']}", json={"women_only": "no"},
                                        headers=ADMIN), "body", "women_only")

        key = f"{partner['id']}:kurs-2".encode()
        bad = [
            partner["signing_key"].sign(upserted(partner["id"], "kurs-2", OFFER)).model_copy(
                update={"data": {"partner_id": partner["id"], "external_id": "kurs-2",
                                 "offer": {**OFFER, "title": "Kurs\r\nBcc: alle"}}}),
            partner["signing_key"].sign(upserted(partner["id"], "kurs-2", OFFER)).model_copy(
                update={"data": {"partner_id": partner["id"], "external_id": "kurs-2",
                                 "offer": {**OFFER, "description": "NUL \x00"}}}),
        ]
        for event in bad:
            await produce(kafka_bootstrap, topics.PARTNER_OFFERS, encode(event), key=key)
        good = partner["signing_key"].sign(upserted(partner["id"], "kurs-2", {**OFFER, "title": "Kurs B1"}))
        await produce(kafka_bootstrap, topics.PARTNER_OFFERS, encode(good), key=key)

        async def applied():  # noqa: ANN202
            items = (await client.get("/api/v1/offers")).json()["items"]
            return any(item["title"] == "Kurs B1" for item in items)

        await eventually(applied)
        parked = await read_topic(kafka_bootstrap, topics.dead_letter(topics.PARTNER_OFFERS), expected=2)
        reasons = sorted(dict(record.headers)["npa-dlq-reason"].decode() for record in parked)
        assert reasons[0].startswith("data.offer.description: contains the control character U+0000"), reasons
        assert reasons[1].startswith("data.offer.title: Value error, contains the control character U+000D"), reasons


async def test_notifications_parks_an_offer_event_whose_title_breaks_lines(kafka_bootstrap, sqlite_url, smtp_sink):  # noqa: ANN001
    from npa.contracts.envelope import new_event
    from npa.contracts.events import offers as offer_events

    settings = service_settings("notifications", database_url=sqlite_url, bootstrap=kafka_bootstrap,
                                smtp_port=smtp_sink.port)
    async with running_service(settings):
        state = offer_events.OfferState(id="offer-1", version=1, status="published", title="Deutschkurs",
                                        fields=["sprache"], district="03241").model_dump(mode="json")
        event = new_event(source=offer_events.SOURCE, type=offer_events.PUBLISHED, subject="offer-1",
                          data={**state, "title": "Deutschkurs\r\nBcc: alle@example.org"})
        await produce(kafka_bootstrap, topics.OFFERS, encode(event), key=b"offer-1")
        parked = await read_topic(kafka_bootstrap, topics.dead_letter(topics.OFFERS), expected=1)
        assert len(parked) == 1
        reason = dict(parked[0].headers)["npa-dlq-reason"].decode()
        assert reason.startswith("data.title: Value error, contains the control character U+000D"), reason
