"""Matching and queueing at state scale: one offer among 10,000 … 1,000,000 subscriptions.

For each database (SQLite, PostgreSQL) and size, a fresh database at the head revision is
filled with active subscriptions spread as a state's readers would be (1–3 of the 5 fields,
popular ones more often; 20 % all of Lower Saxony, 20 % an ARL region, 50 % one or two of the
45 districts, 10 % a region plus a district; 60 % immediate, 25 % daily, 15 % weekly; 30 % good
examples, 20 % new actors) and filed as the use cases file them. Then, for a new `sprache`
offer in Region Hannover (and a state-wide one), it prints:

- find: the filing-index query (usecases.audience.wanting) run by the database (counted, as the
  handler's INSERT … SELECT consumes it), and its ids fetched into Python;
- find + queue: the real batch handler (items.on_offer_events) and its commit: deliveries for
  immediate readers, digest items for the others; queued rows per second, and the CPU per row
  of this process and the PostgreSQL backend together (of the last of the runs; the backend's
  CPU comes in 10 ms ticks, so it says little about a run of a few milliseconds);
- baselines of the same run: a bare `SELECT id … LIMIT <matches>` (what fetching that many rows
  costs at all) and, up to 100,000, the old path (all active subscriptions loaded and filtered
  with domain.matches in Python, rows built in Python, multi-row INSERT); on PostgreSQL also the
  ids fetched and queued with COPY, the alternative to INSERT … SELECT.

    .venv/bin/python bench/matching.py                      # 10,000 and 100,000 on both (make bench)
    .venv/bin/python bench/matching.py 1000000 postgresql   # sizes and databases as arguments
    .venv/bin/python bench/matching.py 100000 sqlite --digests   # also build the day's digests
    .venv/bin/python bench/matching.py 1000000 postgresql --gin  # also text[] + GIN, the other design

Targets (issue 9): matches among 1,000,000 found in < 50 ms on PostgreSQL; ≥ 100,000 rows/s queued.
"""

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from npa.contracts.reference import ARL_REGIONS, districts  # noqa: E402
from npa.infrastructure.database import make_engine, run_migrations  # noqa: E402
from services.notifications import domain  # noqa: E402
from services.notifications.models import Delivery, DigestItem, Subscription, SubscriptionTarget  # noqa: E402
from services.notifications.usecases import audience, build_due_digests, items  # noqa: E402
from services.notifications.usecases.digests import build_digests  # noqa: E402
from tests.support.databases import postgres_database  # noqa: E402
from tests.support.notifications import offer_event  # noqa: E402
from tests.support.services import ROOT  # noqa: E402

MIGRATIONS = ROOT / "services" / "notifications" / "migrations"
FIELDS, FIELD_WEIGHTS = ["sprache", "arbeit", "engagement", "wohnen", "teilhabe"], [30, 25, 20, 15, 10]
DISTRICTS = sorted(districts())
HANNOVER = "03241"
SINCE = datetime(2030, 1, 1, 5, tzinfo=UTC)
OLD_PATH_LIMIT = 100_000


def population(count: int, rng: random.Random) -> Iterator[tuple[dict, list[dict]]]:
    for n in range(count):
        fields = set(rng.choices(FIELDS, FIELD_WEIGHTS, k=rng.choices([1, 2, 3], [55, 30, 15])[0]))
        shape = rng.random()
        regions = ([] if shape < 0.2 else [rng.choice(ARL_REGIONS)] if shape < 0.4
                   else rng.sample(DISTRICTS, rng.choice([1, 2])) if shape < 0.9
                   else [rng.choice(ARL_REGIONS), rng.choice(DISTRICTS)])
        frequency = rng.choices(domain.FREQUENCIES, [60, 25, 15])[0]
        examples, actors = rng.random() < 0.3, rng.random() < 0.2
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        row = {"id": sid, "version": 1, "email": f"reader{n}@example.org", "email_key": f"reader{n}@example.org",
               "status": "active", "fields": sorted(fields), "regions": regions, "frequency": frequency,
               "language": "de", "examples": examples, "new_actors": actors, "created_at": SINCE, "updated_at": SINCE,
               "confirmed_at": SINCE, "cadence_since": SINCE}
        yield row, [{"audience": a, "field": f, "frequency": frequency, "area": area, "subscription_id": sid}
                    for a, f, area in domain.filing(fields, regions, examples, actors)]


def seed(url: str, count: int) -> int:
    """Subscriptions and their filing, in chunks (COPY on PostgreSQL); returns the filing rows."""
    engine, rng, filed = make_engine(url), random.Random(42), 0
    rows = population(count, rng)
    with engine.begin() as connection:
        while chunk := [next(rows, None) for _ in range(20_000)]:
            chunk = [entry for entry in chunk if entry is not None]
            if not chunk:
                break
            targets = [target for _row, row_targets in chunk for target in row_targets]
            filed += len(targets)
            connection.execute(insert(Subscription), [row for row, _targets in chunk])
            connection.execute(insert(SubscriptionTarget), targets)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    return filed


def timed(work: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def matching(district: str | None):  # noqa: ANN201
    return audience.wanting(domain.AUDIENCE_OFFERS, ["sprache"], [district] if district else [], domain.FREQUENCIES)


def find(engine, district: str | None) -> int:  # noqa: ANN001
    """The set found by the database, as the handler's INSERT … SELECT uses it (counted, not fetched)."""
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(matching(district).subquery())).scalar_one()


def fetch(engine, district: str | None) -> list[str]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.execute(matching(district)).scalars())


def bare_select(engine, limit: int) -> list[str]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.execute(select(Subscription.id).limit(limit)).scalars())


def server_cpu(session: Session) -> float:
    """CPU seconds the PostgreSQL backend serving this session has used (it runs on this machine);
    0 on SQLite, whose work is this process's own."""
    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    user, system = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
    return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")


def find_and_queue(engine, district: str | None) -> tuple[int, float]:  # noqa: ANN001
    """Rows queued, and the CPU seconds it took this process and the database server together:
    a figure the neighbours' load moves much less than the wall clock."""
    with Session(engine) as session:
        process, server = time.process_time(), server_cpu(session)
        queued = items.on_offer_events(session, [offer_event(fields=["sprache"], district=district)])
        session.commit()
        return queued, time.process_time() - process + server_cpu(session) - server


def old_path(engine, queue: bool) -> int:  # noqa: ANN001
    """The matching before ADR 10: every active subscription into Python, filtered there."""
    with Session(engine) as session:
        readers = session.execute(select(Subscription.id, Subscription.fields, Subscription.regions,
                                         Subscription.frequency).where(Subscription.status == domain.ACTIVE)).all()
        wanted = [r for r in readers if domain.matches(r.fields, r.regions, ["sprache"], HANNOVER)]
        if not queue:
            return len(wanted)
        event, now = offer_event(fields=["sprache"], district=HANNOVER), datetime.now(UTC)
        items.record_snapshots(session, [(event, event.data)])
        mails = [{"id": str(uuid.uuid4()), "subscription_id": r.id, "event_id": event.id, "event_type": event.type,
                  "kind": domain.ALERT, "item_id": event.subject, "status": "pending", "attempts": 0,
                  "event_time": event.time, "created_at": now, "next_attempt_at": now}
                 for r in wanted if r.frequency == domain.IMMEDIATE]
        digest = [{"id": str(uuid.uuid4()), "subscription_id": r.id, "event_id": event.id, "item_kind": "offer",
                   "item_id": event.subject, "item_version": 1, "change": "new", "changed_fields": [], "created_at": now}
                  for r in wanted if r.frequency != domain.IMMEDIATE]
        session.execute(insert(Delivery), mails)
        session.execute(insert(DigestItem), digest)
        session.commit()
        return len(mails) + len(digest)


def copy_path(engine) -> int:  # noqa: ANN001
    """PostgreSQL only: the matching ids fetched, then queued with COPY (the alternative to INSERT … SELECT)."""
    event, now = offer_event(fields=["sprache"], district=HANNOVER), datetime.now(UTC)
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT subscription_id FROM subscription_targets WHERE audience = 'offer' "
                           "AND field = 'sprache' AND frequency = 'immediate' AND area IN ('*', '03241', 'Leine-Weser')")
            ids = [row[0] for row in cursor.fetchall()]
            columns = "id, subscription_id, kind, event_id, event_type, item_id, status, attempts, created_at, next_attempt_at"
            with cursor.copy(f"COPY deliveries ({columns}) FROM STDIN") as copy:
                for sid in ids:
                    copy.write_row((str(uuid.uuid4()), sid, "alert", event.id, event.type, event.subject, "pending", 0,
                                    now, now))
        connection.commit()
    finally:
        connection.close()
    return len(ids)


def digests(engine, count: int) -> None:  # noqa: ANN001
    """Wednesday's daily digests in pages, as the worker builds them; beside them, as the
    baseline, 1,000 of the weekly ones one subscription per transaction (the shape before ADR 10)."""
    schedule = domain.DigestSchedule()
    waiting = count_rows(engine, "SELECT count(*) FROM digest_items WHERE digest_id IS NULL")
    start = time.perf_counter()
    queued = build_due_digests(engine, schedule, datetime(2030, 1, 2, 6, tzinfo=UTC))
    seconds = time.perf_counter() - start
    built = count_rows(engine, "SELECT count(*) FROM digests")
    print(f"    digests in pages of 500: {built:,} built ({queued:,} with items, {waiting:,} items waiting) in "
          f"{seconds:.1f} s = {built / seconds:,.0f} digests/s; {count:,} subscriptions (40 % digest readers) "
          f"within the hour need {count * 0.4 / 3600:,.0f}/s")
    with Session(engine) as session:
        weekly = session.execute(select(Subscription.id, Subscription.frequency, Subscription.fields,
                                        Subscription.regions, Subscription.examples, Subscription.new_actors)
                                 .where(Subscription.frequency == domain.WEEKLY).limit(1000)).all()
    start = time.perf_counter()
    for subscription in weekly:
        with Session(engine) as session:
            build_digests(session, [subscription], "weekly:2030-01-07", datetime(2030, 1, 7, 6, tzinfo=UTC))
            session.commit()
    seconds = time.perf_counter() - start
    print(f"    baseline, one per transaction: {len(weekly):,} weekly digests in {seconds:.1f} s "
          f"= {len(weekly) / seconds:,.0f} digests/s")


def gin_alternative(engine) -> None:  # noqa: ANN001
    """PostgreSQL only: the same question to one row per subscription with text[] columns and GIN
    indexes (the other design issue 9 names), beside the filing index, both counted in SQL."""
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE gin_subscriptions AS SELECT subscription_id, array_agg(DISTINCT field) AS fields, "
            "array_agg(DISTINCT area) AS areas, min(frequency) AS frequency FROM subscription_targets "
            "WHERE audience = 'offer' GROUP BY subscription_id"))
        connection.execute(text("CREATE INDEX ON gin_subscriptions USING gin (fields)"))
        connection.execute(text("CREATE INDEX ON gin_subscriptions USING gin (areas)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE gin_subscriptions"))
    gin = text("SELECT count(*) FROM gin_subscriptions WHERE fields && '{sprache}' AND areas && '{*,03241,Leine-Weser}'")
    gin_s, matched = timed(lambda: count_rows(engine, gin), 5)
    filing_s, found = timed(lambda: find(engine, HANNOVER), 5)
    print(f"    alternative, text[] + GIN: {matched:,} matches in {gin_s * 1000:.1f} ms "
          f"(filing index, same run: {found:,} in {filing_s * 1000:.1f} ms)")


def count_rows(engine, sql) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(text(sql) if isinstance(sql, str) else sql).scalar_one()


@contextmanager
def database(kind: str, scratch: str) -> Iterator[str]:
    if kind == "postgresql":
        with postgres_database("npa_bench") as url:
            yield url
    else:
        yield f"sqlite:///{scratch}/matching-{uuid.uuid4().hex[:8]}.db"


def measure(kind: str, count: int, with_digests: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch, database(kind, scratch) as url:
        run_migrations(MIGRATIONS, url)
        started = time.perf_counter()
        filed = seed(url, count)
        engine = make_engine(url)
        print(f"  {kind}, {count:,} subscriptions ({filed:,} filing rows, seeded in {time.perf_counter() - started:.0f} s)")
        for label, district in (("sprache in Region Hannover", HANNOVER), ("sprache state-wide", None)):
            find_s, found = timed(lambda: find(engine, district), 5)  # noqa: B023
            fetch_s, ids = timed(lambda: fetch(engine, district), 5)  # noqa: B023
            bare_s, _ = timed(lambda: bare_select(engine, len(ids)), 5)  # noqa: B023
            queue_s, (queued, cpu_s) = timed(lambda: find_and_queue(engine, district), 3)  # noqa: B023
            print(f"    {label}: {found:,} matches found in {find_s * 1000:.1f} ms; ids into Python "
                  f"{fetch_s * 1000:.1f} ms (bare SELECT of as many ids {bare_s * 1000:.1f} ms); "
                  f"find + queue {queue_s * 1000:.1f} ms = {queued / queue_s:,.0f} rows/s "
                  f"(CPU, bench and database: {cpu_s / queued * 1e6:.1f} µs/row)")
        if count <= OLD_PATH_LIMIT:
            old_find, matched = timed(lambda: old_path(engine, queue=False), 3)
            old_queue, queued = timed(lambda: old_path(engine, queue=True), 3)
            print(f"    baseline, old path (all into Python): find {old_find * 1000:7.1f} ms ({matched:,} matches); "
                  f"find + queue {old_queue * 1000:7.1f} ms = {queued / old_queue:,.0f} rows/s")
        if kind == "postgresql":
            copy_s, copied = timed(lambda: copy_path(engine), 3)
            print(f"    alternative, ids fetched + COPY (immediate only): {copy_s * 1000:7.1f} ms "
                  f"= {copied / copy_s:,.0f} rows/s")
        if kind == "postgresql" and "--gin" in sys.argv:
            gin_alternative(engine)
        if with_digests:
            digests(engine, count)
        engine.dispose()


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    sizes = [int(a) for a in arguments if a.isdigit()] or [10_000, 100_000]
    kinds = [a for a in arguments if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
    print("matching one offer among N subscriptions (medians; find: 5 runs, queue: 3 runs with a new offer each)")
    for kind in kinds:
        for count in sizes:
            measure(kind, count, "--digests" in sys.argv)


if __name__ == "__main__":
    main()
