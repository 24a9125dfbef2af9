"""A claim takes its rows by id on PostgreSQL, whatever the statistics say.

Right after a fan-out has filled `deliveries`, the table's statistics still say it is empty
(autovacuum analyses it a minute later, if at all during the fan-out). With the due
conditions repeated in the claim's UPDATE, PostgreSQL then joined every due row against the
claimed ones: 700 ms per claim of 200 among 10,000 (ADR 23). The claim's own plan, run with
EXPLAIN ANALYZE in a transaction that is rolled back, must read about as many rows as it claims."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.outbox import utcnow
from services.notifications.usecases import claims
from tests.support.plans import explain_analyze, plan_nodes

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "notifications" / "migrations"
DUE, LIMIT = 3000, 50


def rows_read(plan: dict) -> int:
    """Rows the plan's nodes read from `deliveries` (actual rows × loops), over the whole tree."""
    return sum(node["Actual Rows"] * node["Actual Loops"] for node in plan_nodes(plan)
               if node.get("Relation Name") == "deliveries" and node["Node Type"] != "ModifyTable")


def test_a_claim_among_many_due_rows_reads_about_what_it_claims(postgres_url: str) -> None:
    run_migrations(MIGRATIONS, postgres_url)
    engine = make_engine(postgres_url)
    try:
        with engine.begin() as connection:  # many due rows at once, no ANALYZE: as after a fan-out
            connection.execute(text(
                "INSERT INTO deliveries (id, subscription_id, kind, event_id, event_type, item_id, status, attempts,"
                " created_at, next_attempt_at) SELECT 'd' || g, 's' || g, 'alert', 'e1', 't', 'i1', 'pending', 0,"
                " now(), now() FROM generate_series(1, :due) AS g"), {"due": DUE})
        statements: list[tuple[str, object]] = []

        def capture(_connection, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
            if statement.lstrip().startswith("WITH due"):
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        with Session(engine, expire_on_commit=False) as session:
            claimed = claims.claim_due(session, utcnow(), limit=LIMIT, lease=timedelta(seconds=120), token="t1")
        event.remove(engine, "before_cursor_execute", capture)
        assert len(claimed) == LIMIT and len(statements) == 1
        statement, parameters = statements[0]
        with engine.connect() as connection:
            plan = explain_analyze(connection.connection.cursor(), statement, parameters)
            connection.rollback()
        read = rows_read(plan)
        assert LIMIT <= read <= 3 * LIMIT, f"the claim read {read} rows of deliveries to claim {LIMIT}"
        with Session(engine) as session:  # the second claim takes the next rows, none twice
            again = claims.claim_due(session, utcnow(), limit=LIMIT, lease=timedelta(seconds=120), token="t2")
        assert {mail.delivery.id for mail in again}.isdisjoint(mail.delivery.id for mail in claimed)
        assert len(again) == LIMIT
    finally:
        engine.dispose()


def test_a_claim_refuses_a_time_without_its_offset(database_url: str) -> None:
    """The claim runs on the driver: a naive time would be read in the server's zone on
    PostgreSQL and compared as text on SQLite, so it is refused as UTCDateTime refuses it."""
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, pytest.raises(ValueError, match="offset"):
            claims.claim_due(session, utcnow().replace(tzinfo=None), limit=LIMIT, lease=timedelta(seconds=120),
                             token="t1")
    finally:
        engine.dispose()
