"""The reports' bulk writes (services/reports/store.py) on SQLite and PostgreSQL: what a batch
writes reads back exactly, with columns that are all empty, JSON lists, flags and times; a
replayed history row is skipped; counts add up and keep the newest time. On PostgreSQL the
INSERTs and UPDATEs go as one statement whose rows are one JSON parameter, so these cases
matter there."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from npa.infrastructure.database import make_engine, run_migrations
from services.reports import store
from services.reports.models import NotificationCount, OfferFact, StateTransition

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "reports" / "migrations"
AT = datetime(2026, 3, 14, 9, 30, 15, 123456, tzinfo=UTC)


def offer(number: int, **changes: object) -> dict:
    row = {"id": f"offer-{number}", "version": 1, "status": "published", "title": f"Kurs {number} für Frauen",
           "district": None, "fields": ["sprache", "arbeit"], "women_only": number % 2 == 0, "childcare": False,
           "costs": None, "free": True, "languages": [], "provider_actor_id": None, "published_at": None,
           "updated_at": AT + timedelta(minutes=number)}
    return {**row, **changes}


def stored(session: Session, model: type) -> list[dict]:
    table = store.table_of(model)
    return [dict(row) for row in session.execute(select(table).order_by(*table.primary_key.columns)).mappings()]


@contextmanager
def migrated(url: str) -> Iterator[Engine]:
    run_migrations(MIGRATIONS, url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_bulk_writes_read_back_exactly(database_url: str) -> None:
    with migrated(database_url) as engine:
        first = {row["id"]: row for row in (offer(1), offer(2), offer(3))}  # district, costs, provider: all empty
        with Session(engine) as session:
            store.write_rows(session, OfferFact, first, set())
            store.insert_new(session, StateTransition, [
                {"event_id": "event-1", "entity_kind": "offer", "entity_id": "offer-1", "version": 1,
                 "event_type": "de.npa.offer.published", "status": "published", "district": None,
                 "fields": ["sprache"], "occurred_at": AT}])
            store.add_counts(session, NotificationCount, ("field",), [
                {"field": "sprache", "sent": 2, "failed": 0, "active_subscriptions": 1, "updated_at": AT}],
                newest="updated_at")
            session.commit()
        second = {"offer-2": offer(2, version=2, district="03241", costs="5 €", free=False, languages=["ar", "de"],
                                   provider_actor_id="actor-7", published_at=AT, status="withdrawn"),
                  "offer-4": offer(4, district="03241", languages=["uk"], published_at=AT)}
        with Session(engine) as session:
            store.write_rows(session, OfferFact, second, {"offer-2"})
            store.insert_new(session, StateTransition, [  # event-1 again (a replay), event-2 new
                {"event_id": event_id, "entity_kind": "offer", "entity_id": "offer-1", "version": version,
                 "event_type": "de.npa.offer.updated", "status": "published", "district": "03241",
                 "fields": [], "occurred_at": AT + timedelta(days=version)} for event_id, version in
                (("event-1", 5), ("event-2", 2))])
            store.add_counts(session, NotificationCount, ("field",), [
                {"field": "arbeit", "sent": 1, "failed": 1, "active_subscriptions": 0, "updated_at": AT},
                {"field": "sprache", "sent": 3, "failed": 1, "active_subscriptions": -1,
                 "updated_at": AT - timedelta(days=1)}], newest="updated_at")
            session.commit()
        with Session(engine) as session:
            assert stored(session, OfferFact) == [first["offer-1"], second["offer-2"], first["offer-3"],
                                                  second["offer-4"]]
            assert [(row["event_id"], row["version"], row["district"], row["fields"], row["occurred_at"])
                    for row in stored(session, StateTransition)] == [
                ("event-1", 1, None, ["sprache"], AT), ("event-2", 2, "03241", [], AT + timedelta(days=2))]
            assert stored(session, NotificationCount) == [
                {"field": "arbeit", "sent": 1, "failed": 1, "active_subscriptions": 0, "updated_at": AT},
                {"field": "sprache", "sent": 5, "failed": 1, "active_subscriptions": 0, "updated_at": AT}]


def test_a_text_longer_than_its_column_is_refused_not_cut_on_postgresql(postgres_url: str) -> None:
    with migrated(postgres_url) as engine, Session(engine) as session, pytest.raises(DBAPIError, match="too long"):
        store.write_rows(session, OfferFact, {"offer-1": offer(1, district="032410")}, set())


def test_a_time_without_its_offset_is_refused(database_url: str) -> None:
    with migrated(database_url) as engine, Session(engine) as session, \
            pytest.raises(ValueError, match="timezone information"):
        store.write_rows(session, OfferFact, {"offer-1": offer(1, updated_at=AT.replace(tzinfo=None))}, set())


def test_read_rows_finds_the_stored_ids_however_many(database_url: str) -> None:
    """One statement per model, the ids as one parameter: more ids than any IN list used to hold."""
    with migrated(database_url) as engine:
        numbers = range(1, 1203)
        with Session(engine) as session:
            store.write_rows(session, OfferFact, {f"offer-{n}": offer(n) for n in numbers}, set())
            session.commit()
        wanted = [f"offer-{n}" for n in (*numbers, 2, 3)] + ["offer-unknown"]  # repeats and an unknown id
        with Session(engine) as session:
            found = store.read_rows(session, OfferFact, wanted)
            assert store.read_rows(session, OfferFact, []) == {}
        assert sorted(found) == sorted(f"offer-{n}" for n in numbers)
        assert found["offer-7"] == offer(7)
