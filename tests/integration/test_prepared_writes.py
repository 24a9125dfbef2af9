"""The bulk writes of npa/infrastructure/prepared.py on SQLite and PostgreSQL, through the
offers service's tables: what the outbox, the inbox and the partner upsert write reads back
exactly — payload bytes with backslashes and non-ASCII text, JSON bodies, empty columns,
aware times — and an update by key changes only the rows it names. On PostgreSQL each goes as
one statement whose rows are one JSON parameter, so these cases matter there."""

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from npa.contracts.envelope import decode, new_event
from npa.infrastructure import inbox, outbox
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.prepared import Prepared
from services.offers.models import Offer

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "offers" / "migrations"
AT = datetime(2026, 3, 14, 9, 30, 15, 123456, tzinfo=UTC)
OFFERS = Offer.__table__  # type: ignore[attr-defined]


def offer_row(number: int, **changes: object) -> dict:
    row = {"id": f"offer-{number}", "version": 1, "status": "published", "title": f"Kurs {number} „für“ Frauen",
           "district": None, "ends_on": date(2026, 12, 31) if number % 2 else None,
           "body": {"title": f"Kurs {number}", "text": 'a "quoted" \\ back\\slash', "languages": ["de", "ar"]},
           "partner_id": "partner-1", "external_id": f"ext-{number}", "created_at": AT, "updated_at": AT,
           "search_text": f"kur {number}"}
    return {**row, **changes}


def test_outbox_and_inbox_rows_read_back_exactly(database_url: str) -> None:
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    data = {"text": 'Zeile 1\nZeile "2" mit \\ und \u00e4\u00df\u20ac', "n": 3}
    events = [new_event(source="/test", type="de.npa.test", subject=f"s-{n}", data=data) for n in range(3)]
    try:
        with Session(engine) as session:
            assert outbox.stage_many(session, "npa.test.v1", events) == 3
            admitted = inbox.sort("npa.test.v1", events, set(), {})
            inbox.record(session, admitted)
            session.commit()
        with Session(engine) as session:
            rows = session.execute(select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)).scalars().all()
            assert [decode(row.payload) for row in rows] == events
            assert [(row.event_id, row.key, row.attempts, row.published_at) for row in rows] == [
                (event.id, event.subject, 0, None) for event in events]
            assert rows[0].id is not None and rows[0].id < rows[1].id < rows[2].id  # the database numbers them
            assert inbox.seen_ids(session, [event.id for event in events]) == {event.id for event in events}
    finally:
        engine.dispose()


def test_offer_rows_insert_and_update_by_key(database_url: str) -> None:
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    columns = tuple(offer_row(0))
    changing = ("version", "status", "title", "body", "updated_at", "search_text")
    try:
        with Session(engine) as session:
            dialect = session.get_bind().dialect
            Prepared.of(OFFERS.insert(), dialect, columns=columns).run(session, [offer_row(n) for n in range(1, 4)])
            later = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
            Prepared.update_by_key(OFFERS, "id", changing, dialect).run(session, [
                offer_row(2, version=2, status="withdrawn", title="Neu", body={"title": "Neu"}, updated_at=later,
                          search_text="neu")])
            session.commit()
        with Session(engine) as session:
            stored = {row.id: row for row in session.execute(select(Offer)).scalars()}
            assert stored["offer-1"].body == offer_row(1)["body"] and stored["offer-1"].ends_on == date(2026, 12, 31)
            assert stored["offer-1"].created_at == AT and stored["offer-3"].district is None
            changed = stored["offer-2"]
            assert (changed.version, changed.status, changed.title, changed.body, changed.search_text) == (
                2, "withdrawn", "Neu", {"title": "Neu"}, "neu")
            assert changed.updated_at == later and changed.created_at == AT
            assert (stored["offer-3"].version, stored["offer-3"].title) == (1, offer_row(3)["title"])
    finally:
        engine.dispose()
