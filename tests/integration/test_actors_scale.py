"""The directory with thousands of actors on SQLite and PostgreSQL: filters and cursor pages
answer from SQL, and the usual listing reads its order from an index (timings: bench/actors_directory.py)."""

from pathlib import Path

from sqlmodel import Session, select

from npa.infrastructure.database import make_engine, run_migrations
from services.actors.models import Actor
from services.actors.usecases import directory
from tests.support.actor_seed import seed

ROOT = Path(__file__).resolve().parents[2]
ACTORS = 3_000
QUERIES = ({}, {"field": "sprache"}, {"region": "Weser-Ems"}, {"kind": "kirche", "region": "Lüneburg"},
           {"region": "03241", "field": "arbeit", "multiplier": True}, {"q": "ökumenisch hilfe"},
           {"include_inactive": True})


def test_thousands_of_actors(database_url):  # noqa: ANN001
    run_migrations(ROOT / "services" / "actors" / "migrations", database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            seed(session, ACTORS)
            for query in QUERIES:
                filters = directory.parse_filters(**query)
                first = directory.find_actors(session, filters, limit=20)
                assert first.total > 0 and len(first.items) == min(20, first.total), query
                if first.total > 20:
                    second = directory.find_actors(session, filters, limit=20,
                                                   cursor=directory.Cursor.decode(first.next_cursor))
                    assert second.offset == 20, query
                    assert not {a["id"] for a in first.items} & {a["id"] for a in second.items}, query
            total, _ = directory.working_alongside(session, first.items[0])
            assert total > 0

        if engine.dialect.name == "sqlite":
            usual = select(Actor).where(*directory.conditions(directory.parse_filters()))
            active_page = usual.order_by(Actor.sort_name, Actor.id).limit(50).compile(
                engine, compile_kwargs={"literal_binds": True})
            with engine.connect() as connection:
                plan = " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {active_page}"))
            assert "ix_actors_active_sort_name_id" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        engine.dispose()
