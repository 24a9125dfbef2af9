"""The notifications service against real parts: Tansu broker, aiosmtpd, SQLite/PostgreSQL.

Subscribe → confirmation mail → confirm link → offer event on `npa.offers.v1` → one alert
mail; redeliveries, non-matching offers, unsubscribe, SMTP 4xx/5xx and poison messages.
"""

import json
import re
import uuid
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import pytest
from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, encode, new_event
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from npa.infrastructure.inbox import InboxEvent
from services.notifications import domain
from services.notifications.models import Delivery, ItemSnapshot, Subscription
from tests.support.smtp import SmtpSink
from tests.support.processes import free_port
from tests.support.services import ADMIN, eventually, produce, read_topic, running_service, service_settings

HANNOVER, OLDENBURG = "03241", "03403"
LINK = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("NPA_NOTIFICATIONS_SMTP_RETRY_BASE_SECONDS", "0.1")
    monkeypatch.setenv("NPA_NOTIFICATIONS_SENDER_POLL_SECONDS", "0.2")


@asynccontextmanager
async def notifications(database_url: str, bootstrap: str, smtp_sink):  # noqa: ANN001, ANN201
    settings = service_settings("notifications", database_url=database_url, bootstrap=bootstrap,
                                smtp_host="127.0.0.1", smtp_port=smtp_sink.port)
    async with running_service(settings) as client:
        yield client


def offer_event(*, fields: list[str], district: str | None, title: str = "Deutschkurs A1",
                offer_id: str | None = None, version: int = 1, event_type: str = offer_events.PUBLISHED) -> CloudEvent:
    offer_id = offer_id or str(uuid.uuid4())
    state = offer_events.OfferState(
        id=offer_id, version=version, status="withdrawn" if event_type == offer_events.WITHDRAWN else "published",
        title=title, fields=fields, district=district,
        languages=["de", "ar"], costs="kostenlos", url=f"http://127.0.0.1:8002/offers/{offer_id}",
    )
    return new_event(source=offer_events.SOURCE, type=event_type, subject=offer_id, data=state.model_dump(mode="json"))


async def publish(bootstrap: str, event: CloudEvent) -> None:
    await produce(bootstrap, topics.OFFERS, encode(event), key=event.subject.encode())


def engine(client: httpx.AsyncClient):  # noqa: ANN201
    return client.app.state.runtime.engine  # type: ignore[attr-defined]


async def processed(client: httpx.AsyncClient, event_id: str) -> None:
    """Wait until the consumer committed the event (the inbox row shares its transaction)."""
    def seen() -> bool:
        with Session(engine(client)) as session:
            return session.get(InboxEvent, event_id) is not None

    await eventually(seen, timeout=20)


def deliveries_for(client: httpx.AsyncClient, event_id: str) -> list[Delivery]:
    with Session(engine(client)) as session:
        return list(session.exec(select(Delivery).where(Delivery.event_id == event_id)))


def subscription_of(client: httpx.AsyncClient, subscription_id: str) -> Subscription:
    with Session(engine(client)) as session:
        return session.get_one(Subscription, subscription_id)


def alerts_to(smtp_sink, address: str) -> list:  # noqa: ANN001
    return [m for m in smtp_sink.handler.to(address) if m["Subject"].startswith("Neues Angebot")]


def link_in(message, path: str) -> str:  # noqa: ANN001
    text = message.get_body(("plain",)).get_content()
    (url,) = {url for url in LINK.findall(text) if path in url}
    return url


async def subscribe_and_confirm(client: httpx.AsyncClient, smtp_sink, email: str, **preferences) -> str:  # noqa: ANN001
    body = {"email": email, "fields": ["sprache"], **preferences}
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 202, response.text
    confirmation = (await eventually(lambda: smtp_sink.handler.to(email), timeout=20))[-1]
    page = await client.get(link_in(confirmation, "/subscriptions/confirm"))
    assert page.status_code == 200 and "bestätigt" in page.text
    with Session(engine(client)) as session:
        subscription = session.exec(select(Subscription).where(Subscription.email_key == email.lower())).one()
    assert subscription.status == domain.ACTIVE
    return subscription.id


async def test_subscribe_confirm_alert_unsubscribe(database_url, kafka_bootstrap, smtp_sink):  # noqa: ANN001
    address = "anna.beispiel@example.org"
    async with notifications(database_url, kafka_bootstrap, smtp_sink) as client:
        body = {"email": address, "fields": ["sprache"], "regions": ["Leine-Weser"]}
        first = await client.post("/api/v1/subscriptions", json=body)
        again = await client.post("/api/v1/subscriptions", json={**body, "email": "Anna.Beispiel@EXAMPLE.org"})
        assert first.status_code == again.status_code == 202
        assert first.json() == again.json() == {"status": "pending_confirmation"}
        with Session(engine(client)) as session:
            assert len(session.exec(select(Subscription)).all()) == 1

        confirmation = (await eventually(lambda: smtp_sink.handler.to(address), timeout=20))[0]
        text = confirmation.get_body(("plain",)).get_content()
        assert [url for url in LINK.findall(text)] == [link_in(confirmation, "/subscriptions/confirm?token=")]
        assert "Handlungsfelder: Sprachförderung" in text and "Regionen: ARL-Region Leine-Weser" in text
        assert "Häufigkeit: sofort" in text  # the mail repeats what was chosen (issue 11 point 7)
        assert confirmation["From"].addresses[0].display_name == "Niedersachsen packt an – Benachrichtigungen"

        # Double opt-in: nothing reaches an unconfirmed subscriber.
        early = offer_event(fields=["sprache"], district=HANNOVER)
        await publish(kafka_bootstrap, early)
        await processed(client, early.id)
        assert deliveries_for(client, early.id) == []

        confirm_url = link_in(confirmation, "/subscriptions/confirm")
        assert (await client.get(confirm_url)).status_code == 200
        repeat = await client.get(confirm_url)  # following it twice is harmless
        assert repeat.status_code == 200 and "bestätigt" in repeat.text

        matching = offer_event(fields=["sprache", "arbeit"], district=HANNOVER, title="Deutschkurs A1")
        for _ in range(3):  # a redelivered event must not mail anyone twice
            await publish(kafka_bootstrap, matching)
        (alert,) = await eventually(lambda: alerts_to(smtp_sink, address), timeout=20)
        later_version = offer_event(fields=["sprache"], district=HANNOVER, offer_id=matching.subject, version=2,
                                    event_type=offer_events.UPDATED)
        await publish(kafka_bootstrap, later_version)  # same key, same partition: after the three copies
        await processed(client, later_version.id)
        assert len(alerts_to(smtp_sink, address)) == 1
        delivery = await eventually(lambda: next(
            (d for d in deliveries_for(client, matching.id) if d.status == domain.DELIVERY_SENT), None))
        assert len(deliveries_for(client, matching.id)) == 1 and delivery.attempts == 1

        assert alert["Subject"] == "Neues Angebot: Deutschkurs A1 – Region Hannover"
        assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert alert["Message-ID"] == domain.message_id(delivery.subscription_id, matching.id, "localhost")
        unsubscribe_url = alert["List-Unsubscribe"].strip("<>")
        assert unsubscribe_url.startswith("http://127.0.0.1:8003/subscriptions/unsubscribe?token=")
        assert link_in(alert, "/subscriptions/unsubscribe") == unsubscribe_url
        assert {alert.get_body(("plain",)) is not None, alert.get_body(("html",)) is not None} == {True}

        elsewhere = offer_event(fields=["sprache"], district=OLDENBURG)  # Weser-Ems, not Leine-Weser
        other_field = offer_event(fields=["wohnen"], district=None)
        for event in (elsewhere, other_field):
            await publish(kafka_bootstrap, event)
        for event in (elsewhere, other_field):
            await processed(client, event.id)
            assert deliveries_for(client, event.id) == []

        listed = await client.get("/api/v1/deliveries", params={"status": "sent", "event_id": matching.id},
                                  headers=ADMIN)
        assert listed.status_code == 200 and listed.json()["total"] == 1
        assert "@" not in listed.text

        manage = await client.get(link_in(alert, "/subscriptions/manage"))
        assert manage.status_code == 200 and "Ihr Abonnement" in manage.text

        question = await client.get(unsubscribe_url)  # mail scanners open links: that must not unsubscribe
        assert question.status_code == 200 and 'method="post"' in question.text
        assert subscription_of(client, delivery.subscription_id).status == domain.ACTIVE
        gone = await client.post(unsubscribe_url, content=b"List-Unsubscribe=One-Click",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert gone.status_code == 200 and "abgemeldet" in gone.text
        assert subscription_of(client, delivery.subscription_id).status == domain.CANCELLED

        after = offer_event(fields=["sprache"], district=HANNOVER)
        await publish(kafka_bootstrap, after)
        await processed(client, after.id)
        assert deliveries_for(client, after.id) == []

        records = await read_topic(kafka_bootstrap, topics.NOTIFICATIONS, expected=3)
        types = [json.loads(record.value)["type"] for record in records]
        assert sorted(types) == sorted([notification_events.SUBSCRIPTION_CONFIRMED, notification_events.SENT,
                                        notification_events.SUBSCRIPTION_CANCELLED])
        assert all(b"@" not in record.value for record in records)
        assert len(smtp_sink.handler.to(address)) == 2  # one confirmation, one alert

        exposition = await eventually(lambda: metrics_text(client), timeout=10)
        assert 'npa_notifications_mails_total{kind="alert",outcome="sent",reason="accepted"}' in exposition
        assert 'npa_notifications_mails_total{kind="confirmation",outcome="sent",reason="accepted"}' in exposition
        assert 'npa_notifications_event_to_accept_seconds_bucket{kind="alert",le="+Inf"}' in exposition
        assert 'npa_notifications_pending_deliveries{state="due"}' in exposition
        assert "npa_notifications_oldest_due_age_seconds" in exposition


async def metrics_text(client: httpx.AsyncClient) -> str | None:
    """The exposition once the sender has refreshed its queue gauges (at most once a second)."""
    text = (await client.get("/metrics")).text
    return text if "npa_notifications_pending_deliveries{" in text else None


async def test_transient_smtp_failures_are_retried_and_delivered_once(sqlite_url, kafka_bootstrap, smtp_sink):  # noqa: ANN001
    address = "bernd@example.org"
    async with notifications(sqlite_url, kafka_bootstrap, smtp_sink) as client:
        await subscribe_and_confirm(client, smtp_sink, address)
        smtp_sink.handler.reply_codes = ["451 4.3.0 try later", "451 4.3.0 try later"]
        event = offer_event(fields=["sprache"], district=None)
        await publish(kafka_bootstrap, event)

        def sent() -> Delivery | None:
            found = deliveries_for(client, event.id)
            return found[0] if found and found[0].status == domain.DELIVERY_SENT else None

        delivery = await eventually(sent, timeout=20)
        assert delivery.attempts == 3 and delivery.error is None
        assert smtp_sink.handler.reply_codes == []
        assert len(alerts_to(smtp_sink, address)) == 1


async def test_mail_waits_while_the_smtp_server_is_away(sqlite_url, kafka_bootstrap):  # noqa: ANN001
    port = free_port()  # nothing listens here yet: connection refused
    settings = service_settings("notifications", database_url=sqlite_url, bootstrap=kafka_bootstrap,
                                smtp_host="127.0.0.1", smtp_port=port)
    async with running_service(settings) as client:
        response = await client.post("/api/v1/subscriptions", json={"email": "emil@example.org", "fields": ["arbeit"]})
        assert response.status_code == 202

        def failed_since(previous: datetime | None) -> Delivery | None:
            """The confirmation once a round (another than the one that set `previous`) failed on it."""
            found = [d for d in deliveries_for_kind(client, domain.CONFIRMATION)
                     if d.error and d.claim_token is None and d.next_attempt_at != previous]
            return found[0] if found else None

        first = await eventually(lambda: failed_since(None), timeout=20)
        waiting = await eventually(lambda: failed_since(first.next_attempt_at), timeout=20)
        # Tried again and still waiting; a server that cannot be reached uses up none of its tries.
        assert waiting.status == domain.DELIVERY_PENDING and waiting.attempts == 0
        assert "connect" in waiting.error.lower() or "refused" in waiting.error.lower()
        with SmtpSink(port) as late_sink:
            (mail,) = await eventually(lambda: late_sink.handler.to("emil@example.org"), timeout=20)
        assert "bestätigen" in mail["Subject"]
        await eventually(lambda: deliveries_for_kind(client, domain.CONFIRMATION)[0].status == domain.DELIVERY_SENT)


def deliveries_for_kind(client: httpx.AsyncClient, kind: str) -> list[Delivery]:
    with Session(engine(client)) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == kind)))


async def test_permanent_smtp_failure_is_recorded_and_not_retried(sqlite_url, kafka_bootstrap, smtp_sink,
                                                                   caplog):  # noqa: ANN001
    address = "carla@example.org"
    async with notifications(sqlite_url, kafka_bootstrap, smtp_sink) as client:
        await subscribe_and_confirm(client, smtp_sink, address)
        smtp_sink.handler.reply_codes = [f"550 5.1.1 <{address}>: mailbox unavailable"]
        rejected = offer_event(fields=["sprache"], district=HANNOVER, title="Sprachcafé")
        await publish(kafka_bootstrap, rejected)

        def failed() -> Delivery | None:
            found = deliveries_for(client, rejected.id)
            return found[0] if found and found[0].status == domain.DELIVERY_FAILED else None

        delivery = await eventually(failed, timeout=20)
        assert delivery.attempts == 1
        assert delivery.error is not None and delivery.error.startswith("550") and "@" not in delivery.error
        (given_up,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("gave up delivery")]
        assert delivery.id in given_up and "tries 1: 550" in given_up and "@" not in given_up

        # A later alert goes through; the rejected one was never tried again.
        accepted = offer_event(fields=["sprache"], district=HANNOVER, title="Lernpaten gesucht")
        await publish(kafka_bootstrap, accepted)
        (alert,) = await eventually(lambda: alerts_to(smtp_sink, address), timeout=20)
        assert "Lernpaten gesucht" in alert["Subject"]
        assert deliveries_for(client, rejected.id)[0].attempts == 1

        records = await read_topic(kafka_bootstrap, topics.NOTIFICATIONS, expected=3)
        failures = [json.loads(r.value) for r in records if json.loads(r.value)["type"] == notification_events.FAILED]
        assert len(failures) == 1 and failures[0]["data"]["event_id"] == rejected.id
        assert "@" not in json.dumps(failures[0])


async def test_malformed_message_goes_to_dlq_and_consumption_continues(sqlite_url, kafka_bootstrap, smtp_sink):  # noqa: ANN001
    async with notifications(sqlite_url, kafka_bootstrap, smtp_sink) as client:
        good = offer_event(fields=["teilhabe"], district=HANNOVER)
        await produce(kafka_bootstrap, topics.OFFERS, b"{not json", key=good.subject.encode())
        await publish(kafka_bootstrap, good)  # same key: behind the poison message on its partition

        await processed(client, good.id)
        with Session(engine(client)) as session:
            assert session.get(ItemSnapshot, good.id) is not None
        (dead,) = await read_topic(kafka_bootstrap, topics.dead_letter(topics.OFFERS), expected=1)
        headers = {name: value.decode() for name, value in dead.headers}
        assert dead.value == b"{not json"
        assert "not JSON" in headers["npa-dlq-reason"]
        assert headers["npa-dlq-origin-topic"] == topics.OFFERS
