"""HTTP side of the notifications service on a real SQLite database, without the bus:
validation (422 naming the field), privacy of repeated requests, admin-only deliveries,
the German pages and their signed links."""

import json
import time
from datetime import UTC, datetime, timedelta
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import Session, select

from npa.infrastructure.database import run_migrations
from npa.infrastructure.outbox import OutboxMessage
from services.notifications import domain, tokens
from services.notifications.app import create_app
from services.notifications.models import Delivery, Subscription
from tests.support.services import ADMIN, ROOT, service_settings

VALID = {"email": "dora@example.org", "fields": ["sprache"]}


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app without its lifespan: no broker, no sender; requests and the database are real."""
    run_migrations(ROOT / "services" / "notifications" / "migrations", sqlite_url)
    app = create_app(service_settings("notifications", database_url=sqlite_url, bootstrap="127.0.0.1:9"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8003") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


def rows(client: httpx.AsyncClient, model: type) -> list:
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(model)))


def signer(client: httpx.AsyncClient) -> tokens.SubscriberTokens:
    return client.app.state.runtime.tokens  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": None}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"fields": []}, "fields"),
        ({"fields": ["kochen"]}, "fields"),
        ({"regions": ["Bayern"]}, "regions"),
        ({"regions": ["99999"]}, "regions"),
        ({"frequency": "hourly"}, "frequency"),
        ({"language": "fr"}, "language"),
        ({"examples": "sometimes"}, "examples"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_bad_input_is_422_naming_the_field(client, change, field):  # noqa: ANN001
    body = {key: value for key, value in {**VALID, **change}.items() if value is not None}
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 422
    assert any(item["loc"][:2] == ["body", field] for item in response.json()["detail"]), response.text
    assert rows(client, Subscription) == []


async def test_repeated_requests_look_the_same_and_create_nothing_twice(client):  # noqa: ANN001
    answers = [await client.post("/api/v1/subscriptions", json={**VALID, "email": spelling})
               for spelling in ("dora@example.org", " Dora@Example.org", "DORA@EXAMPLE.ORG")]
    assert {(a.status_code, a.text) for a in answers} == {(202, json.dumps({"status": "pending_confirmation"},
                                                                          separators=(",", ":")))}
    (subscription,) = rows(client, Subscription)
    assert subscription.status == domain.PENDING
    assert len(rows(client, Delivery)) == 1  # one confirmation mail, not three

    # An active subscription keeps its preferences until the owner confirms the new ones.
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        active = session.get_one(Subscription, subscription.id)
        active.status, active.requested = domain.ACTIVE, None
        session.add(active)
        session.commit()
    again = await client.post("/api/v1/subscriptions", json={**VALID, "fields": ["arbeit"], "regions": ["Lüneburg"]})
    assert (again.status_code, again.json()) == (202, {"status": "pending_confirmation"})
    (unchanged,) = rows(client, Subscription)
    assert unchanged.fields == ["sprache"] and unchanged.requested["fields"] == ["arbeit"]

    confirmed = await client.get("/subscriptions/confirm", params={"token": signer(client).sign(tokens.CONFIRM, unchanged.id)})
    assert confirmed.status_code == 200
    (updated,) = rows(client, Subscription)
    assert (updated.fields, updated.regions, updated.requested) == (["arbeit"], ["Lüneburg"], None)
    staged = [json.loads(row.payload) for row in rows(client, OutboxMessage)]
    assert [(e["type"], e["data"]["fields"]) for e in staged] == [("de.npa.subscription.confirmed", ["arbeit"])]
    assert all("@" not in json.dumps(e) for e in staged)


async def test_deliveries_are_for_admins_only(client):  # noqa: ANN001
    assert (await client.get("/api/v1/deliveries")).status_code == 401
    assert (await client.get("/api/v1/deliveries", headers={"Authorization": "Bearer nope"})).status_code == 403
    await client.post("/api/v1/subscriptions", json=VALID)
    listed = await client.get("/api/v1/deliveries", params={"status": "pending", "kind": "confirmation"}, headers=ADMIN)
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert "@" not in listed.text
    bad = await client.get("/api/v1/deliveries", params={"status": "lost"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]


async def test_deliveries_filter_by_status_event_and_time_and_page(client):  # noqa: ANN001
    t0 = datetime(2030, 1, 1, 10, tzinfo=UTC)
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        subscription = Subscription(email="x@example.org", email_key="x@example.org", status=domain.ACTIVE,
                                    fields=["sprache"])
        session.add(subscription)
        session.flush()
        for minute in range(12):
            session.add(Delivery(subscription_id=subscription.id, kind=domain.ALERT, event_id=f"event-{minute % 3}-{minute}",
                                 event_type="de.npa.offer.published" if minute % 2 else "de.npa.example.published",
                                 item_id="item", status=domain.DELIVERY_SENT if minute < 8 else domain.DELIVERY_FAILED,
                                 created_at=t0 + timedelta(minutes=minute)))
        session.commit()

    async def listed(**params: object) -> dict:
        response = await client.get("/api/v1/deliveries", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        return response.json()

    assert (await listed(status="failed"))["total"] == 4
    assert (await listed(event_id="event-1-4"))["total"] == 1
    assert (await listed(event_type="de.npa.example.published"))["total"] == 6
    window = await listed(since=(t0 + timedelta(minutes=3)).isoformat(), until=(t0 + timedelta(minutes=6)).isoformat())
    assert [item["event_id"] for item in window["items"]] == ["event-2-5", "event-1-4", "event-0-3"]  # newest first
    first = await listed(limit=5)
    second = await listed(limit=5, offset=first["next_offset"])
    last = await listed(limit=5, offset=second["next_offset"])
    assert (first["total"], first["next_offset"], second["next_offset"], last["next_offset"]) == (12, 5, 10, None)
    assert len({item["id"] for page in (first, second, last) for item in page["items"]}) == 12
    assert all("@" not in json.dumps(page) and "claim_token" not in json.dumps(page) for page in (first, last))
    backwards = await client.get("/api/v1/deliveries", headers=ADMIN, params={
        "since": t0.isoformat(), "until": (t0 - timedelta(hours=1)).isoformat()})
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == ["query", "until"]
    naive = await client.get("/api/v1/deliveries", headers=ADMIN, params={"since": "2030-01-01T10:00:00"})
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"] == ["query", "since"]


async def test_subscribe_form(client):  # noqa: ANN001
    for path in ("/", "/subscriptions/new"):
        page = await client.get(path)
        assert page.status_code == 200 and "Abonnieren" in page.text and 'name="email"' in page.text
    wrong = await client.post("/subscriptions/new", data={"email": "dora@example.org"})
    assert wrong.status_code == 422 and "mindestens ein Handlungsfeld" in wrong.text
    assert 'value="dora@example.org"' in wrong.text  # what was typed is kept
    done = await client.post("/subscriptions/new", data={"email": "dora@example.org", "fields": ["sprache", "arbeit"],
                                                          "regions": ["03241"], "frequency": "weekly", "examples": "on"})
    assert done.status_code == 200 and "Fast geschafft" in done.text
    (subscription,) = rows(client, Subscription)
    assert (subscription.fields, subscription.regions, subscription.frequency, subscription.examples) == (
        ["arbeit", "sprache"], ["03241"], "weekly", True)


async def test_bad_and_expired_links_get_a_german_400_page(client):  # noqa: ANN001
    for method, path in [("GET", "/subscriptions/confirm"), ("GET", "/subscriptions/unsubscribe"),
                         ("POST", "/subscriptions/unsubscribe"), ("GET", "/subscriptions/manage"),
                         ("POST", "/subscriptions/manage")]:
        response = await client.request(method, path, params={"token": "forged"})
        assert response.status_code == 400 and "Link" in response.text, (method, path)

    await client.post("/api/v1/subscriptions", json=VALID)
    (subscription,) = rows(client, Subscription)
    eight_days_ago = tokens.SubscriberTokens("test-secret-key-not-for-production", clock=lambda: time.time() - 8 * 86400)
    expired = await client.get("/subscriptions/confirm",
                               params={"token": eight_days_ago.sign(tokens.CONFIRM, subscription.id)})
    assert expired.status_code == 400 and "abgelaufen" in expired.text
    wrong_purpose = await client.get("/subscriptions/confirm",
                                     params={"token": signer(client).sign(tokens.UNSUBSCRIBE, subscription.id)})
    assert wrong_purpose.status_code == 400
    assert rows(client, Subscription)[0].status == domain.PENDING


async def test_manage_page_changes_preferences_and_links_to_unsubscribe(client):  # noqa: ANN001
    await client.post("/api/v1/subscriptions", json=VALID)
    (subscription,) = rows(client, Subscription)
    await client.get("/subscriptions/confirm", params={"token": signer(client).sign(tokens.CONFIRM, subscription.id)})
    manage = {"token": signer(client).sign(tokens.MANAGE, subscription.id)}

    page = await client.get("/subscriptions/manage", params=manage)
    assert page.status_code == 200 and "aktiv" in page.text and "/subscriptions/unsubscribe?token=" in page.text
    invalid = await client.post("/subscriptions/manage", params=manage, data={"fields": ["kochen"]})
    assert invalid.status_code == 422 and "Handlungsfeld" in invalid.text
    saved = await client.post("/subscriptions/manage", params=manage,
                              data={"fields": ["wohnen"], "regions": ["Weser-Ems"], "frequency": "daily", "language": "en"})
    assert saved.status_code == 200 and "Your settings have been saved." in saved.text  # in the chosen language
    (changed,) = rows(client, Subscription)
    assert (changed.fields, changed.regions, changed.frequency, changed.language, changed.version) == (
        ["wohnen"], ["Weser-Ems"], "daily", "en", 2)
    english = await client.post("/subscriptions/manage", params=manage, data={"fields": ["kochen"]})
    assert english.status_code == 422 and "Please choose at least one field of action." in english.text
    assert rows(client, Subscription)[0].version == 2  # invalid values change nothing

    unsubscribe = {"token": signer(client).sign(tokens.UNSUBSCRIBE, subscription.id)}
    assert (await client.post("/subscriptions/unsubscribe", params=unsubscribe)).status_code == 200  # no body at all
    assert rows(client, Subscription)[0].status == domain.CANCELLED
    again = await client.post("/subscriptions/unsubscribe", params=unsubscribe)
    assert again.status_code == 200 and "unsubscribed" in again.text
    assert "abgemeldet" in (await client.get("/subscriptions/manage", params=manage)).text  # no language known
    dead = await client.post("/subscriptions/manage", params=manage, data={"fields": ["kochen"]})
    assert dead.status_code == 200 and "abgemeldet" in dead.text  # a dead link is reported before invalid values
    types = [json.loads(row.payload)["type"] for row in rows(client, OutboxMessage)]
    assert types == ["de.npa.subscription.confirmed", "de.npa.subscription.confirmed", "de.npa.subscription.cancelled"]
