"""Double opt-in and what a subscriber may ask for, on SQLite and PostgreSQL: the 7-day purge
of unconfirmed requests, the consent record, export of my data, and erasure ("delete me"),
also from the database files."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session, select

from npa.infrastructure.database import run_migrations
from npa.infrastructure.outbox import OutboxMessage
from services.notifications import domain, tokens, usecases
from services.notifications.app import create_app
from services.notifications.models import (
    Consent,
    Delivery,
    Digest,
    DigestItem,
    Subscription,
    SubscriptionTarget,
)
from services.notifications.workers import purge_now
from tests.support.notifications import apply, offer_event, subscribe
from tests.support.services import ROOT, service_settings

T0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
PREFERENCES = {"fields": ["sprache"], "regions": [], "frequency": "immediate", "language": "de", "examples": False,
               "new_actors": False}


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app without its lifespan: no broker, no sender; requests and the database are real."""
    run_migrations(ROOT / "services" / "notifications" / "migrations", database_url)
    app = create_app(service_settings("notifications", database_url=database_url, bootstrap="127.0.0.1:9"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8003") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http
    app.state.runtime.engine.dispose()


def runtime_of(client: httpx.AsyncClient):  # noqa: ANN201
    return client.app.state.runtime  # type: ignore[attr-defined]


def rows(client: httpx.AsyncClient, model: type, **where: object) -> list:
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    with Session(runtime_of(client).engine) as session:
        return list(session.exec(query))


def counts(client: httpx.AsyncClient) -> dict[str, int]:
    with Session(runtime_of(client).engine) as session:
        return usecases.anonymous_counts(session)


def sign(client: httpx.AsyncClient, purpose: str, subscription_id: str) -> dict:
    return {"token": runtime_of(client).tokens.sign(purpose, subscription_id)}


async def test_unconfirmed_requests_are_purged_after_seven_days(client):  # noqa: ANN001
    runtime = runtime_of(client)
    with Session(runtime.engine) as session:
        pending = usecases.request_subscription(session, "zögernd@example.org", PREFERENCES, T0)
        session.commit()
        pending_id = pending.id
    active = subscribe(runtime, "aktiv@example.org", T0)
    with Session(runtime.engine) as session:  # an active subscriber asks for a change and never confirms it
        usecases.request_subscription(session, "aktiv@example.org", {**PREFERENCES, "fields": ["arbeit"]}, T0)
        session.commit()

    assert purge_now(runtime.engine, T0 + timedelta(days=7) - timedelta(seconds=1)) == 0
    assert rows(client, Subscription, id=pending_id)[0].status == domain.PENDING

    assert purge_now(runtime.engine, T0 + timedelta(days=7, seconds=1)) == 1
    assert rows(client, Subscription, id=pending_id) == []
    assert rows(client, Delivery, subscription_id=pending_id) == []  # its confirmation mail is gone too
    (kept,) = rows(client, Subscription, id=active)
    assert kept.status == domain.ACTIVE and kept.requested is None and kept.fields == ["sprache"]
    assert counts(client) == {"requests_purged_unconfirmed": 1}
    page = await client.get("/subscriptions/confirm", params=sign(client, tokens.CONFIRM, pending_id))
    assert page.status_code == 400  # the old link leads nowhere
    assert purge_now(runtime.engine, T0 + timedelta(days=30)) == 0


async def test_consent_record_is_kept_for_each_scope_agreed_to(client):  # noqa: ANN001
    answer = await client.post("/api/v1/subscriptions", json={"email": "dora@example.org", "fields": ["arbeit"],
                                                               "regions": ["Lüneburg"], "frequency": "weekly",
                                                               "examples": True})
    assert answer.status_code == 202
    (subscription,) = rows(client, Subscription)
    assert rows(client, Consent) == []  # a request is no consent until the mailbox owner confirms it
    await client.get("/subscriptions/confirm", params=sign(client, tokens.CONFIRM, subscription.id))
    await client.get("/subscriptions/confirm", params=sign(client, tokens.CONFIRM, subscription.id))  # again
    (first,) = rows(client, Consent)
    assert first.scope == {"fields": ["arbeit"], "regions": ["Lüneburg"], "frequency": "weekly", "language": "de",
                           "examples": True, "new_actors": False}
    assert first.text_version == domain.CONSENT_TEXT_VERSION and first.via == "double_opt_in"
    assert first.requested_at <= first.confirmed_at

    manage = sign(client, tokens.MANAGE, subscription.id)
    await client.post("/subscriptions/manage", params=manage,
                      data={"fields": ["arbeit", "wohnen"], "regions": ["Lüneburg"], "frequency": "daily",
                            "language": "de", "examples": "on"})
    second = [c for c in rows(client, Consent) if c.via == "manage_page"]
    assert len(second) == 1 and second[0].scope["fields"] == ["arbeit", "wohnen"]


async def test_export_is_my_data_and_nobody_else_s(client):  # noqa: ANN001
    runtime = runtime_of(client)
    mine = subscribe(runtime, "me@example.org", T0, regions=["03241"])
    other = subscribe(runtime, "neighbour@example.org", T0)
    await apply(runtime, offer_event(district="03241"))

    exported = await client.get("/subscriptions/export", params=sign(client, tokens.MANAGE, mine))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/json")
    assert exported.headers["content-disposition"].startswith("attachment;")
    data = exported.json()
    assert data["subscription"]["email"] == "me@example.org" and data["subscription"]["regions"] == ["03241"]
    assert [c["via"] for c in data["consents"]] == ["double_opt_in"]
    assert sorted(d["kind"] for d in data["deliveries"]) == ["alert", "confirmation"]
    assert "neighbour" not in exported.text and other not in exported.text
    forged = await client.get("/subscriptions/export", params={"token": "forged"})
    assert forged.status_code == 400


async def test_delete_me_erases_the_address_and_keeps_only_counts(client):  # noqa: ANN001
    runtime = runtime_of(client)
    gone = subscribe(runtime, "gone@example.org", T0)
    daily = subscribe(runtime, "stays@example.org", T0, frequency="daily")
    await apply(runtime, offer_event())
    usecases.build_due_digests(runtime.engine, domain.DigestSchedule(), datetime(2030, 1, 2, 6, tzinfo=UTC))
    with Session(runtime.engine) as session:  # as if the sender had sent gone@'s alert
        for delivery in session.exec(select(Delivery).where(Delivery.subscription_id == gone)):
            delivery.status = domain.DELIVERY_SENT
            session.add(delivery)
        session.commit()
    manage = sign(client, tokens.MANAGE, gone)

    question = await client.get("/subscriptions/delete", params=manage)  # opening the link deletes nothing
    assert question.status_code == 200 and 'method="post"' in question.text
    assert rows(client, Subscription, id=gone)
    deleted = await client.post("/subscriptions/delete", params=manage)
    assert deleted.status_code == 200 and "gelöscht" in deleted.text

    assert rows(client, Subscription, id=gone) == []
    for model in (Consent, Delivery, Digest, DigestItem, SubscriptionTarget):  # no foreign key holds these (ADR 10)
        assert rows(client, model, subscription_id=gone) == []
    assert rows(client, Subscription, id=daily) and rows(client, Digest, subscription_id=daily)  # others untouched
    assert counts(client) == {"subscriptions_erased_on_request": 1, "mails_sent_to_erased_subscriptions": 1}
    with Session(runtime.engine) as session:
        staged = [json.loads(row.payload) for row in session.exec(select(OutboxMessage))]
    cancelled = [e for e in staged if e["type"] == "de.npa.subscription.cancelled"]
    assert [e["subject"] for e in cancelled] == [gone] and all("@" not in json.dumps(e) for e in staged)

    again = await client.post("/subscriptions/delete", params=manage)  # nothing left: still a calm answer
    assert again.status_code == 200
    assert (await client.get("/subscriptions/export", params=manage)).status_code == 400
    assert counts(client)["subscriptions_erased_on_request"] == 1


async def test_an_unsubscribed_reader_can_still_have_everything_deleted(client):  # noqa: ANN001
    gone = subscribe(runtime_of(client), "later@example.org", T0)
    page = await client.post("/subscriptions/unsubscribe", params=sign(client, tokens.UNSUBSCRIBE, gone))
    assert "/subscriptions/delete?token=" in page.text
    assert (await client.get("/subscriptions/delete", params=sign(client, tokens.MANAGE, gone))).status_code == 200
    assert (await client.post("/subscriptions/delete", params=sign(client, tokens.MANAGE, gone))).status_code == 200
    assert rows(client, Subscription, id=gone) == []


async def test_english_pages_and_the_consent_text(client):  # noqa: ANN001
    german = await client.get("/subscriptions/new")
    assert '<html lang="de" dir="ltr">' in german.text and "Ihre Einwilligung" in german.text
    assert f"Fassung {domain.CONSENT_TEXT_VERSION}" in german.text and 'href="/subscriptions/new?lang=en"' in german.text
    assert "täglich als Zusammenfassung (07:00 Uhr)" in german.text and "Montag, 07:00 Uhr" in german.text
    english = await client.get("/subscriptions/new", params={"lang": "en"})
    assert '<html lang="en" dir="ltr">' in english.text and "New offers by e-mail" in english.text
    assert "Your consent" in english.text and 'value="en" checked' in english.text
    done = await client.post("/subscriptions/new", data={"email": "sam@example.org", "fields": ["arbeit"],
                                                        "language": "en", "page_language": "en"})
    assert done.status_code == 200 and "Almost done" in done.text
    (subscription,) = rows(client, Subscription)
    confirmed = await client.get("/subscriptions/confirm", params=sign(client, tokens.CONFIRM, subscription.id))
    assert "Subscription confirmed" in confirmed.text
    manage = await client.get("/subscriptions/manage", params=sign(client, tokens.MANAGE, subscription.id))
    assert "Download my data (JSON)" in manage.text and "Delete me and all my data" in manage.text
    wrong = await client.post("/subscriptions/new", data={"email": "x", "page_language": "en"})
    assert wrong.status_code == 422 and "Please choose at least one field of action." in wrong.text


# Erasure is real (ADR 15): after "delete me" the address is in none of the database's files:
# SQLite's main file, -wal and -shm; on PostgreSQL every table, index and TOAST file after the
# scrubber's VACUUM and rewrite and a checkpoint.
GONE = b"erase-me.please@example.org"
STAYS = b"stays.here@example.org"


def sqlite_files(database_url: str) -> dict[str, bytes]:
    path = Path(make_url(database_url).database or "")
    return {name: file.read_bytes() for name in ("", "-wal", "-shm")
            if (file := path.with_name(path.name + name)).exists()}


def postgres_files(database_url: str) -> dict[str, bytes]:
    """Every relation file of the database (tables, indexes, TOAST), after a checkpoint."""
    engine = create_engine(database_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))  # the test runs as the superuser; the service never does
        data = Path(connection.execute(text("SHOW data_directory")).scalar_one())
        paths = connection.execute(text(
            "SELECT pg_relation_filepath(oid) FROM pg_class WHERE relkind IN ('r', 'i', 't') "
            "AND relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)")).scalars()
        files = {}
        for relative in paths:
            if relative:
                for segment in (data / relative).parent.glob(Path(relative).name + "*"):
                    files[str(segment)] = segment.read_bytes()
    engine.dispose()
    return files


def files_of(database_url: str) -> dict[str, bytes]:
    return sqlite_files(database_url) if database_url.startswith("sqlite") else postgres_files(database_url)


async def test_after_delete_me_the_address_is_in_no_database_file(client, database_url):  # noqa: ANN001
    runtime = client.app.state.runtime
    gone = subscribe(runtime, GONE.decode(), T0)
    subscribe(runtime, STAYS.decode(), T0)
    await apply(runtime, offer_event())  # alerts for both: deliveries point at the subscriptions
    before = files_of(database_url)
    assert any(GONE in content for content in before.values()), "the address should be on disk before"

    manage = {"token": runtime.tokens.sign(tokens.MANAGE, gone)}
    deleted = await client.post("/subscriptions/delete", params=manage)
    assert deleted.status_code == 200
    if not runtime.scrubber.sqlite:  # PostgreSQL: the worker's VACUUM, here run by hand (no lifespan)
        assert runtime.scrubber.scrub_pending()

    after = files_of(database_url)
    assert [name for name, content in after.items() if GONE in content] == []
    assert any(STAYS in content for content in after.values())  # the others are still there
