"""Actor directory queries over 20,000 actors on SQLite and on PostgreSQL (127.0.0.1:5432).

Prints the time of the first two cursor pages per filter and of the "who else works on this"
query, median of 5 runs each.   .venv/bin/python bench/actors_directory.py [actors=20000]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402

from npa.infrastructure.database import make_engine, run_migrations  # noqa: E402
from services.actors.usecases import directory  # noqa: E402
from tests.integration.test_actors_scale import QUERIES  # noqa: E402
from tests.support.actor_seed import seed  # noqa: E402
from tests.support.databases import postgres_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def timed(action, runs: int = 5) -> float:  # noqa: ANN001
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(url: str, actors: int) -> None:
    run_migrations(ROOT / "services" / "actors" / "migrations", url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed(session, actors)
        if engine.dialect.name == "postgresql":
            session.connection().exec_driver_sql("ANALYZE")
        for query in QUERIES:
            filters = directory.parse_filters(**query)

            def two_pages(filters=filters) -> None:  # noqa: ANN001
                first = directory.find_actors(session, filters, limit=50)
                directory.find_actors(session, filters, limit=50, cursor=directory.Cursor.decode(first.next_cursor))

            print(f"  {engine.dialect.name:<10} {str(query):<62} {timed(two_pages) / 2:7.1f} ms/page")
        actor = directory.find_actors(session, directory.parse_filters(), limit=1).items[0]
        print(f"  {engine.dialect.name:<10} {'who else works on this (detail page)':<62} "
              f"{timed(lambda: directory.working_alongside(session, actor)):7.1f} ms")
    engine.dispose()


def main() -> None:
    actors = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"actor directory, {actors} actors, median of 5")
    with tempfile.TemporaryDirectory() as scratch:
        measure(f"sqlite:///{scratch}/actors.db", actors)
    with postgres_database("npa_bench") as url:
        measure(url, actors)


if __name__ == "__main__":
    main()
