"""Rows a fan-out makes in the database: their ids, and how the subscriber's own rows are found.

Ids (usecases/row_ids.py): a UUID of version 7, the statement's time and random bits, then the
row's number in the statement, so they rise row by row (ADR 10, 2026-12-03 evening). The item
indexes of `deliveries` and `digest_items` hold the item alone; "was this subscriber told about
this item" must still read the subscriber's rows, not the item's, also on SQLite, which plans
without statistics (npa/infrastructure/planner.py)."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import Session, select

from npa.contracts.events import offers as offer_events
from services.notifications import domain
from services.notifications.models import Delivery, DigestItem
from services.notifications.usecases import claims
from tests.support.notifications import apply, notifications_runtime, offer_event, subscribe

T0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
TOLD_TABLES = ("SEARCH deliveries ", "SEARCH digest_items ")


def ids_of(runtime, table, event_id: str) -> list[str]:  # noqa: ANN001
    with Session(runtime.engine) as session:
        return list(session.exec(select(table.id).where(table.event_id == event_id)))


def assert_one_statement(ids: list[str], started_ms: int, ended_ms: int) -> str:
    """Ids of one statement: version 7, the same 28-character prefix, numbered 1 … n; returns the prefix."""
    parsed = [uuid.UUID(value) for value in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert all(str(u) == value for u, value in zip(parsed, ids, strict=True))  # lower-case, canonical
    assert {value[:28] for value in ids} == {ids[0][:28]}
    assert sorted(int(value[28:], 16) for value in ids) == list(range(1, len(ids) + 1))
    assert started_ms <= parsed[0].int >> 80 <= ended_ms
    return ids[0][:28]


def test_fan_out_ids_are_version_7_and_numbered_per_statement(database_url: str) -> None:
    with notifications_runtime(database_url) as runtime:
        for n in range(6):
            subscribe(runtime, f"reader{n}@example.org", T0, frequency="immediate" if n < 4 else "daily")
        published = offer_event(district="03241")
        started = time.time_ns() // 1_000_000
        assert asyncio.run(apply(runtime, published)) == "applied"
        alerts, items = ids_of(runtime, Delivery, published.id), ids_of(runtime, DigestItem, published.id)
        assert (len(alerts), len(items)) == (4, 2)
        ended = time.time_ns() // 1_000_000
        assert assert_one_statement(alerts, started, ended) != assert_one_statement(items, started, ended)

        updated = offer_event(offer_id=published.subject, district="03241", version=2,
                              event_type=offer_events.UPDATED, changed=["title"])
        assert asyncio.run(apply(runtime, updated)) == "applied"  # the per-event path (items._queue)
        updates = ids_of(runtime, Delivery, updated.id)
        assert len(updates) == 4
        assert assert_one_statement(updates, started, time.time_ns() // 1_000_000) != alerts[0][:28]


def query_plan(connection, statement: str, parameters) -> list[str]:  # noqa: ANN001
    return [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]


def test_a_subscribers_told_rows_are_read_by_subscriber_on_sqlite(tmp_path) -> None:  # noqa: ANN001
    """Both indexes start with an equality; without statistics SQLite took the item's, which holds
    every reader of the item (73,000 for one offer at a million subscriptions), once per candidate."""
    with notifications_runtime(f"sqlite:///{tmp_path}/told.db") as runtime:
        for n in range(3):
            subscribe(runtime, f"reader{n}@example.org", T0)
        published = offer_event(district=None)
        assert asyncio.run(apply(runtime, published)) == "applied"
        captured: list[tuple[str, object]] = []

        def capture(_connection, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
            told_states = statement.startswith("SELECT") and "item_id IN" in statement and "FROM d" in statement
            if told_states or (statement.startswith("INSERT") and "EXISTS" in statement):
                captured.append((statement, parameters))

        event.listen(runtime.engine, "before_cursor_execute", capture)
        try:
            moved = offer_event(offer_id=published.subject, district="03241", version=2,
                                event_type=offer_events.UPDATED, changed=["district"])
            assert asyncio.run(apply(runtime, moved)) == "applied"  # "new" readers: those never told
            withdrawn = offer_event(offer_id=published.subject, district="03241", version=3,
                                    event_type=offer_events.WITHDRAWN, status="withdrawn")
            assert asyncio.run(apply(runtime, withdrawn)) == "applied"
            with Session(runtime.engine, expire_on_commit=False) as session:
                due = claims.claim_due(session, datetime.now(UTC) + timedelta(seconds=1), limit=50,
                                       lease=timedelta(seconds=60), token="t")
            assert {mail.delivery.kind for mail in due} >= {domain.WITHDRAWAL}
        finally:
            event.remove(runtime.engine, "before_cursor_execute", capture)
        assert len(captured) == 4  # the update's two INSERTs, the withdrawal notice's two told states
        with runtime.engine.connect() as connection:
            plans = [query_plan(connection, statement, parameters) for statement, parameters in captured]
        searches_by_candidate, told_states = [], []
        for (statement, _parameters), plan in zip(captured, plans, strict=True):
            for number, line in enumerate(plan[:-1]):
                if line.startswith("CORRELATED") and plan[number + 1].startswith(TOLD_TABLES):
                    searches_by_candidate.append(plan[number + 1])  # "never told", for each candidate
            if statement.startswith("SELECT"):  # a claimed page's withdrawal notices: who was told
                told_states += [line for line in plan if line.startswith(TOLD_TABLES)]
        assert len(searches_by_candidate) == 4 and len(told_states) >= 2, plans
        assert all("(subscription_id=?" in line for line in searches_by_candidate + told_states), plans
