"""Offer search at state scale, on SQLite and on PostgreSQL (127.0.0.1:5432).

Generated German offers (tests/support/offer_seed.py: fields, districts, towns, postcodes,
languages, providers) in a database migrated to head; each query runs through the real code
path (usecases.search: parse_filters + search_offers → first page of 50 with its total), RUNS
times; p50/p95 at 10,000 and 100,000 offers. Baselines of the same run: `SELECT count(*)` over
the same table, and the search as it was before (all offers of a status loaded into Python and
filtered there) at 10,000. Also the cost of deriving an offer's search columns (bulk ingest).

    .venv/bin/python bench/search.py [sizes=10000,100000] [runs=25]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from npa.contracts.offer_body import is_free  # noqa: E402
from npa.contracts.reference import districts_in  # noqa: E402
from npa.infrastructure.database import make_engine, run_migrations  # noqa: E402
from services.offers.domain.search import search_columns  # noqa: E402
from services.offers.models import Offer  # noqa: E402
from services.offers.usecases import search  # noqa: E402
from tests.support.databases import postgres_database  # noqa: E402
from tests.support.offer_seed import offer_bodies, seed_offers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUERIES = {
    "one word        q=Sprachkurs": {"q": "Sprachkurs"},
    "two words       q=Deutschkurs Frauen": {"q": "Deutschkurs Frauen"},
    "city            city=Oldenburg": {"city": "Oldenburg"},
    "city as word    q=Oldenburg": {"q": "Oldenburg"},
    "postcode        postcode=26121": {"postcode": "26121"},
    "field + region  sprache, Weser-Ems": {"field": "sprache", "region": "Weser-Ems"},
    "language + childcare  Arabisch": {"language": "Arabisch", "childcare": True},
    "words + filters Deutschkurs Frauen, childcare, 03403": {"q": "Deutschkurs Frauen", "childcare": True,
                                                             "region": "03403"},
    "no filter       newest first": {},
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples), cuts[18]


def timed(action, runs: int) -> list[float]:  # noqa: ANN001
    action()  # warm: plans, caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def old_search(session: Session, field: str, region: str) -> int:
    """The search before ADR 0011 (field + region), as it was: every published offer into Python."""
    offers = session.exec(select(Offer).where(Offer.status == "published").order_by(Offer.title, Offer.id)).all()
    wanted = districts_in(region)
    matching = [offer for offer in offers if field in offer.body["fields"]
                and (offer.district is None or offer.district in wanted) and is_free(offer.body["costs"]) is not None]
    return len(matching)


def measure(url: str, sizes: list[int], runs: int) -> None:
    run_migrations(ROOT / "services" / "offers" / "migrations", url)
    engine = make_engine(url)
    dialect = engine.dialect.name
    stored = 0
    for size in sizes:
        started = time.perf_counter()
        with Session(engine) as session:
            seed_offers(session, size - stored, seed=size)
        seeded = time.perf_counter() - started
        stored = size
        if dialect == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE offers")
                connection.exec_driver_sql("VACUUM ANALYZE known_actors")
                connection.exec_driver_sql("VACUUM ANALYZE offer_search")  # the search's own table (ADR 0011)
        print(f"  {dialect}, {size:,} offers (seeded in {seeded:.1f} s), first page of 50 + total, {runs} runs:")
        with Session(engine) as session:
            p50, p95 = percentiles(timed(lambda: session.execute(text("SELECT count(*) FROM offers")).scalar(), runs))
            print(f"    {'baseline: SELECT count(*) FROM offers':<58} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
            if size <= 10_000:
                p50, p95 = percentiles(timed(lambda: old_search(session, "sprache", "Weser-Ems"), max(3, runs // 5)))
                print(f"    {'baseline: old Python-filter search (field + region)':<58} p50 {p50:6.1f} ms  "
                      f"p95 {p95:6.1f} ms")
        worst = 0.0
        for label, params in QUERIES.items():
            found = {}

            def one_search(params=params, found=found) -> None:  # noqa: ANN001
                with Session(engine) as session:
                    page = search.search_offers(session, search.parse_filters(**params), limit=50, base_url="")
                found["total"] = page.total

            p50, p95 = percentiles(timed(one_search, runs))
            worst = max(worst, p95)
            print(f"    {label:<58} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({found['total']:,} found)")
        print(f"    worst p95 {worst:.1f} ms (target < 50 ms at 100,000 offers)")
    engine.dispose()


def derived_columns_cost() -> None:
    bodies = [body for body, _ in offer_bodies(5000, seed=7)]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for body in bodies:
            search_columns(body)
        best = min(best, (time.perf_counter() - started) / len(bodies) * 1e6)
    print(f"  derived search columns: {best:.1f} µs per offer (best of 5 over 5,000; budget ~20 µs: the partner "
          "ingest at 5,000 offers/s has 200 µs per offer in all)")


def main() -> None:
    sizes = [int(size) for size in sys.argv[1].split(",")] if len(sys.argv) > 1 else [10_000, 100_000]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    print(f"offer search, {', '.join(f'{size:,}' for size in sizes)} generated offers")
    derived_columns_cost()
    with tempfile.TemporaryDirectory() as scratch:
        measure(f"sqlite:///{scratch}/offers.db", sizes, runs)
    with postgres_database("npa_bench") as url:
        measure(url, sizes, runs)


if __name__ == "__main__":
    main()
