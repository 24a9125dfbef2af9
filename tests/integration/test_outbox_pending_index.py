"""The relay finds its pending rows without reading the published ones (ADR 9, 2026-12-02): with
a backlog behind the rows published within the retention period, PostgreSQL walked the primary
key through all of those on every round (or sorted the whole backlog). Both databases, through a
service's migrations."""

from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session

from npa.contracts.envelope import new_event
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.outbox import OutboxMessage, stage_many, utcnow
from npa.infrastructure.relay import OutboxRelay, RelaySettings
from tests.support.plans import explain_analyze, plan_nodes

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "offers" / "migrations"
PUBLISHED, PENDING, BATCH = 20_000, 5_000, 100


async def _never_called(messages):  # noqa: ANN001, ANN202
    raise AssertionError("nothing is published here")


def test_the_relay_reads_its_pending_rows_in_order_without_the_published_ones(database_url: str) -> None:
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            stage_many(session, "npa.offers.v1", [new_event(source="/services/offers", type="de.npa.offer.updated",
                                                            subject=f"offer-{n}", data={"n": n})
                                                  for n in range(PUBLISHED + PENDING)])
            session.execute(update(OutboxMessage).where(OutboxMessage.id <= PUBLISHED).values(published_at=utcnow()))
            session.commit()
        if engine.dialect.name == "postgresql":  # as autovacuum would while a backlog builds up
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE outbox")
        relay = OutboxRelay(engine, _never_called, settings=RelaySettings(batch_size=BATCH))
        pending = relay._pending()
        assert [row.id for row in pending] == list(range(PUBLISHED + 1, PUBLISHED + BATCH + 1))
        with engine.connect() as connection:
            cursor = connection.connection.cursor()
            query = relay._pending_query.compile(engine, compile_kwargs={"literal_binds": True})
            if engine.dialect.name == "postgresql":
                nodes = plan_nodes(explain_analyze(cursor, str(query)))
                scans = [node for node in nodes if node.get("Relation Name") == "outbox"]
                assert [(node["Node Type"], node.get("Index Name")) for node in scans] == [
                    ("Index Scan", "ix_outbox_pending")]
                assert not any(node.get("Rows Removed by Filter") for node in nodes)
                assert not any(node["Node Type"] == "Sort" for node in nodes)
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {query}")
                plan = " ".join(str(row[-1]) for row in cursor.fetchall())
                assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        engine.dispose()
