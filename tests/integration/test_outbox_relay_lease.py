"""Two relays over one PostgreSQL outbox, as two replicas of a service run them: only the lease
holder publishes; killed mid-stream (SIGKILL), the other takes over within seconds and goes on
where it stopped — no event published twice, none lost, each entity's events in order."""

import asyncio
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from sqlmodel import Session, SQLModel

from npa.contracts.envelope import decode, new_event
from npa.infrastructure.database import make_engine
from npa.infrastructure.lease import AdvisoryLease, lease_for
from npa.infrastructure.outbox import OutboxMessage, stage_many
from npa.infrastructure.topics_admin import ensure_topics
from tests.support.services import read_topic

ROOT = Path(__file__).resolve().parents[2]
TOPIC = "npa.offers.v1"


def relay_process(database_url: str, bootstrap: str, name: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.support.relay_process", database_url, bootstrap, name],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


async def holding(process: subprocess.Popen, timeout: float) -> float:
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout)
    assert line.strip() == "holding", line
    return time.monotonic()


def stage(engine, first: int, count: int, entities: int = 40) -> None:  # noqa: ANN001
    """Events numbered `first`…: entity n % entities, version n (so each entity's versions grow)."""
    events = [new_event(source="/services/offers", type="de.npa.offer.updated", subject=f"offer-{n % entities}",
                        data={"version": n}) for n in range(first, first + count)]
    with Session(engine) as session:
        stage_many(session, TOPIC, events)
        session.commit()


async def test_one_relay_publishes_and_the_other_takes_over_without_repeats(kafka_bootstrap, postgres_url):
    engine = make_engine(postgres_url)
    SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])
    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 4)
    first = relay_process(postgres_url, kafka_bootstrap, "relay-a")
    await holding(first, 30)
    second = relay_process(postgres_url, kafka_bootstrap, "relay-b")
    try:
        total = 0
        for _ in range(20):  # a steady stream while the holder is killed
            stage(engine, total, 500)
            total += 500
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        for _ in range(10):
            stage(engine, total, 500)
            total += 500
        took_over_at = await holding(second, 30)
        records = await read_topic(kafka_bootstrap, TOPIC, expected=total, timeout=60)
    finally:
        for process in (first, second):
            process.kill()
            process.wait()
        engine.dispose()
    ids = [decode(record.value).id for record in records]
    assert len(ids) == total and len(set(ids)) == total  # every event once
    versions: dict[str, list[int]] = defaultdict(list)
    for record in records:
        event = decode(record.value)
        versions[event.subject].append(event.data["version"])
    assert all(found == sorted(found) for found in versions.values())  # per entity in order
    assert took_over_at - killed_at < 15, "the standby relay should take the lease within seconds"


def test_the_advisory_lease_has_one_holder_and_is_freed_with_its_session(postgres_url):
    engine = make_engine(postgres_url)
    try:
        one, two = lease_for(engine, "svc-relay"), lease_for(engine, "svc-relay")
        assert isinstance(one, AdvisoryLease)
        assert one.try_acquire() and one.still_held()
        assert not two.try_acquire()
        with engine.connect() as admin:  # the holder's session ends (as when its process dies)
            admin.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                                  "AND pid <> pg_backend_pid()")
        assert not one.still_held()
        assert two.try_acquire()
        two.release()
        assert one.try_acquire()
        one.release()
    finally:
        engine.dispose()


def test_a_file_lease_is_exclusive_between_processes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/svc.db")
    lease = lease_for(engine, "svc-relay")
    assert lease.try_acquire()
    probe = ("from npa.infrastructure.database import make_engine; from npa.infrastructure.lease import lease_for; "
             f"print(lease_for(make_engine('sqlite:///{tmp_path}/svc.db'), 'svc-relay').try_acquire())")
    other = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert other.stdout.strip() == "False", other.stderr
    lease.release()
    other = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert other.stdout.strip() == "True", other.stderr
    engine.dispose()
