"""Subscribe throttling (issue 10 point 5, ADR 20) on real SQLite and PostgreSQL databases:
per address and per client, counted in the database so two replicas share the limit; a refused
request answers 429 with Retry-After, queues no mail and changes nothing. And the subscriber
links: manage links expire, a confirmation link leads on to the manage page only once."""

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from npa.infrastructure.database import run_migrations
from npa.infrastructure.throttle import Limit, ThrottleCount
from services.notifications import tokens
from services.notifications.app import create_app
from services.notifications.config import NotificationsConfig
from services.notifications.models import Delivery, Subscription
from tests.support.services import ROOT, service_settings

CONFIG = replace(NotificationsConfig(), subscribe_per_address=Limit("subscribe-address", 3, 3600),
                 subscribe_per_client=Limit("subscribe-client", 5, 3600))


@pytest.fixture
async def replicas(database_url: str) -> AsyncIterator[list]:
    """Two replicas of the app (no lifespan: no broker, no sender) on one database; a client per
    (replica, IP) is made by `connect`."""
    run_migrations(ROOT / "services" / "notifications" / "migrations", database_url)
    apps = [create_app(service_settings("notifications", database_url=database_url, bootstrap="127.0.0.1:9"), CONFIG)
            for _ in range(2)]
    async with AsyncExitStack() as stack:
        async def connect(replica: int, ip: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=apps[replica], client=(ip, 40000))
            return await stack.enter_async_context(httpx.AsyncClient(transport=transport,
                                                                     base_url="http://127.0.0.1:8003"))
        yield [apps, connect]
        for app in apps:
            app.state.runtime.engine.dispose()


def count(app, model: type) -> int:  # noqa: ANN001
    with Session(app.state.runtime.engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def subscribe(email: str) -> dict:
    return {"email": email, "fields": ["sprache"], "regions": ["03241"], "frequency": "daily"}


async def test_per_address_limit_holds_across_replicas_and_clients(replicas):  # noqa: ANN001
    apps, connect = replicas
    answers = []
    for attempt in range(5):  # alternating replicas and client addresses: the address is what counts
        client = await connect(attempt % 2, f"198.51.100.{attempt}")
        answers.append(await client.post("/api/v1/subscriptions", json=subscribe("Dora@Example.org ")))
    assert [answer.status_code for answer in answers] == [202, 202, 202, 429, 429]
    refused = answers[3]
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert "retry in" in refused.json()["detail"]
    assert count(apps[0], Subscription) == 1 and count(apps[0], Delivery) == 1  # one confirmation mail
    with Session(apps[0].state.runtime.engine) as session:  # counted under a keyed hash, never the address
        subjects = [row.subject for row in session.execute(select(ThrottleCount)).scalars()]
    assert subjects and not any("example" in subject.lower() or "198.51" in subject for subject in subjects)


async def test_per_client_limit_stops_a_mail_bomb_from_one_client_on_both_replicas(replicas):  # noqa: ANN001
    apps, connect = replicas
    first, second = await connect(0, "203.0.113.7"), await connect(1, "203.0.113.7")
    statuses = [(await (first if n % 2 else second).post("/api/v1/subscriptions",
                                                         json=subscribe(f"victim{n}@example.org"))).status_code
                for n in range(8)]
    assert statuses == [202] * 5 + [429] * 3
    assert count(apps[0], Delivery) == 5
    other = await connect(0, "203.0.113.8")  # another client is not affected
    assert (await other.post("/api/v1/subscriptions", json=subscribe("someone@example.org"))).status_code == 202


async def test_the_form_says_so_in_german_with_429(replicas):  # noqa: ANN001
    apps, connect = replicas
    client = await connect(0, "192.0.2.1")
    form = {"email": "eva@example.org", "fields": "sprache", "frequency": "immediate", "language": "de"}
    answers = [await client.post("/subscriptions/new", data=form) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert "zu viele Anmeldungen" in answers[3].text and answers[3].headers["Retry-After"]
    assert 'value="eva@example.org"' in answers[3].text  # what was typed is kept
    assert count(apps[0], Delivery) == 1


async def test_manage_links_expire_unsubscribe_links_do_not(replicas):  # noqa: ANN001
    apps, connect = replicas
    client = await connect(0, "192.0.2.2")
    assert (await client.post("/api/v1/subscriptions", json=subscribe("fritz@example.org"))).status_code == 202
    with Session(apps[0].state.runtime.engine) as session:
        subscription_id = session.execute(select(Subscription.id)).scalar_one()
    now = apps[0].state.runtime.tokens  # tokens signed 31 days ago, with the app's secret
    old = tokens.SubscriberTokens(apps[0].state.runtime.settings.secret_key,
                                  clock=lambda: time.time() - timedelta(days=31).total_seconds())
    assert now.read(tokens.MANAGE, now.sign(tokens.MANAGE, subscription_id)) == subscription_id
    confirm = await client.get(f"/subscriptions/confirm?token={now.sign(tokens.CONFIRM, subscription_id)}")
    assert confirm.status_code == 200 and "/subscriptions/manage?token=" in confirm.text
    again = await client.get(f"/subscriptions/confirm?token={now.sign(tokens.CONFIRM, subscription_id)}")
    assert again.status_code == 200 and "/subscriptions/manage?token=" not in again.text  # used once
    assert "bereits bestätigt" in again.text
    expired = await client.get(f"/subscriptions/manage?token={old.sign(tokens.MANAGE, subscription_id)}")
    assert expired.status_code == 400 and "abgelaufen" in expired.text
    export = await client.get(f"/subscriptions/export?token={old.sign(tokens.MANAGE, subscription_id)}")
    assert export.status_code == 400 and "fritz@example.org" not in export.text
    unsubscribe = await client.post(f"/subscriptions/unsubscribe?token={old.sign(tokens.UNSUBSCRIBE, subscription_id)}")
    assert unsubscribe.status_code == 200
    with Session(apps[0].state.runtime.engine) as session:
        assert session.get(Subscription, subscription_id).status == "cancelled"
