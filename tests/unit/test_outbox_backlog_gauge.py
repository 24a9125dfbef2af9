"""The outbox gauges are read from the table when Prometheus scrapes, so the age of a stuck row
keeps growing although the relay does nothing (the OutboxBacklogOld alert depends on it)."""

import time
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlmodel import Session, SQLModel, select

from npa.contracts.envelope import new_event
from npa.infrastructure.database import make_engine
from npa.infrastructure.metrics import OutboxBacklogCollector
from npa.infrastructure.outbox import OutboxMessage, stage_many, utcnow
from npa.infrastructure.relay import OutboxRelay


@pytest.fixture
def engine(tmp_path):  # noqa: ANN001, ANN201
    engine = make_engine(f"sqlite:///{tmp_path}/outbox.db")
    SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])
    return engine


async def never(*_args):  # noqa: ANN002, ANN201
    raise AssertionError("the relay must not publish in this test")


def stage(engine, age_seconds: float, published: bool = False) -> None:  # noqa: ANN001
    with Session(engine) as session:
        stage_many(session, "npa.actors.v1", [new_event(source="/t", type="de.npa.actor.updated", subject="a", data={})])
        session.flush()
        row = session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()  # type: ignore[union-attr]
        row.created_at = utcnow() - timedelta(seconds=age_seconds)
        if published:
            row.published_at = utcnow()
        session.commit()


def scrape(registry: CollectorRegistry) -> dict[str, float]:
    return {sample.name: sample.value for metric in registry.collect() for sample in metric.samples}


def test_age_is_computed_at_scrape_time(engine) -> None:  # noqa: ANN001
    relay = OutboxRelay(engine, never)
    collector, registry = OutboxBacklogCollector(), CollectorRegistry()
    registry.register(collector)
    assert scrape(registry) == {}  # nothing tracked: nothing exported
    collector.track("svc", relay.backlog)
    assert scrape(registry) == {"npa_outbox_pending": 0.0, "npa_outbox_pending_oldest_age_seconds": 0.0}

    stage(engine, age_seconds=1000, published=True)  # published rows do not count
    stage(engine, age_seconds=400)
    stage(engine, age_seconds=10)
    time.sleep(1.1)  # past the 1 s cache
    values = scrape(registry)
    assert values["npa_outbox_pending"] == 2
    assert 400 <= values["npa_outbox_pending_oldest_age_seconds"] < 410
    assert b"npa_outbox_pending_oldest_age_seconds" in generate_latest(registry)
    collector.untrack("svc")
    assert scrape(registry) == {}


def test_a_broken_database_leaves_the_gauges_out(tmp_path) -> None:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")  # no outbox table
    collector, registry = OutboxBacklogCollector(), CollectorRegistry()
    registry.register(collector)
    collector.track("svc", OutboxRelay(engine, never).backlog)
    assert scrape(registry) == {}
    collector.untrack("svc")


def test_several_relays_in_one_process_sum_and_take_the_oldest(tmp_path) -> None:  # noqa: ANN001
    engines = []
    for name, age in (("a", 30), ("b", 500)):
        engine = make_engine(f"sqlite:///{tmp_path}/{name}.db")
        SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])
        stage(engine, age_seconds=age)
        engines.append(engine)
    collector, registry = OutboxBacklogCollector(), CollectorRegistry()
    registry.register(collector)
    for index, engine in enumerate(engines):
        collector.track(index, OutboxRelay(engine, never).backlog)
    values = scrape(registry)
    assert values["npa_outbox_pending"] == 2
    assert 500 <= values["npa_outbox_pending_oldest_age_seconds"] < 510
    for index in range(len(engines)):
        collector.untrack(index)
