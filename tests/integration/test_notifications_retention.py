"""Retention on SQLite and PostgreSQL: what grows with traffic goes after the retention period,
and what the guarantees need stays (ADR 10): who was told about a running offer (its update
reaches them after the pruning), pending mails and the states they render, and nothing at all
within the inbox's 7 days, so a redelivered event still meets UNIQUE(subscription_id, event_id).
"""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from npa.contracts.events import offers as offer_events
from npa.infrastructure.outbox import utcnow
from services.notifications import domain
from services.notifications.config import NotificationsConfig
from services.notifications.models import Delivery, Digest, DigestItem, ItemSnapshot
from services.notifications.usecases import build_due_digests
from services.notifications.workers import prune_now
from tests.support.notifications import apply, example_event, notifications_runtime, offer_event, subscribe

HANNOVER = "03241"


def rows(runtime, model, **where) -> list:  # noqa: ANN001
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    with Session(runtime.engine) as session:
        return list(session.exec(query))


def test_retention_is_at_least_the_inbox_and_a_week():
    assert NotificationsConfig(retention_days=8).retention(inbox_retention_hours=240) == timedelta(days=10)
    with pytest.raises(ValueError, match="at least 8"):
        NotificationsConfig(retention_days=3)


async def test_pruning_keeps_what_the_guarantees_need(database_url, smtp_sink):  # noqa: ANN001
    start = utcnow()
    with notifications_runtime(database_url, smtp_sink.port) as runtime:
        reader = subscribe(runtime, "anna@example.org", start, examples=True)
        daily = subscribe(runtime, "daily@example.org", start, frequency="daily")
        running = offer_event(district=HANNOVER, title="Läuft weiter")
        ended = offer_event(district=HANNOVER, title="Vorbei")
        example = example_event(fields=["sprache"], district=HANNOVER)
        for event in (running, ended, example):
            await apply(runtime, event)
        gone = offer_event(district=HANNOVER, offer_id=ended.subject, version=2, event_type=offer_events.WITHDRAWN,
                           status="withdrawn", changed=["status"])
        await apply(runtime, gone)
        await runtime.sender.send_due()
        assert build_due_digests(runtime.engine, domain.DigestSchedule(), start + timedelta(days=2)) == 1
        await runtime.sender.send_due(start + timedelta(days=2))
        unsent = offer_event(district=HANNOVER, title="Noch nicht verschickt")
        await apply(runtime, unsent)  # its mail stays pending (no sender round runs)

        everything = {model: len(rows(runtime, model)) for model in (Delivery, DigestItem, Digest, ItemSnapshot)}
        assert prune_now(runtime.engine, runtime.retention, start + timedelta(days=6)) == 0  # inside the 7 days
        assert prune_now(runtime.engine, runtime.retention, start + timedelta(days=40)) > 0

        told = {(d.subscription_id, d.kind) for d in rows(runtime, Delivery, item_id=running.subject)}
        assert told == {(reader, domain.ALERT)}  # who was told about a running offer
        assert rows(runtime, Delivery, item_id=ended.subject) == []  # ended before the period: all gone
        assert rows(runtime, Delivery, item_id=example.subject) == []
        assert rows(runtime, Delivery, kind=domain.CONFIRMATION) == []
        assert [d.status for d in rows(runtime, Delivery, item_id=unsent.subject)] == [domain.DELIVERY_PENDING]
        assert {i.item_id for i in rows(runtime, DigestItem)} == {running.subject, unsent.subject}
        (digest,) = rows(runtime, Digest)  # the digest that told the daily reader about the running offer
        assert [d.event_id for d in rows(runtime, Delivery, kind=domain.DIGEST)] == [digest.id]
        kept = {s.event_id for s in rows(runtime, ItemSnapshot)}
        assert kept == {running.id, example.id, unsent.id}  # newest states that run or will be rendered
        assert sum(len(rows(runtime, model)) for model in everything) < sum(everything.values())

        moved = offer_event(district=HANNOVER, offer_id=running.subject, version=2, title="Läuft weiter, neu",
                            event_type=offer_events.UPDATED, changed=["title"])
        await apply(runtime, moved)  # after the pruning, those told still hear of the change
        assert {(d.subscription_id, d.kind) for d in rows(runtime, Delivery, event_id=moved.id)} == {
            (reader, domain.UPDATE)}
        assert {(i.subscription_id, i.change) for i in rows(runtime, DigestItem, event_id=moved.id)} == {
            (daily, domain.CHANGED)}
