"""The outbox relay against the real broker: it goes away, rows stay pending, it returns, rows leave in order."""

import asyncio

from aiokafka import AIOKafkaProducer
from sqlmodel import Session, SQLModel, select

from npa.contracts.envelope import decode, new_event
from npa.infrastructure import kafka
from npa.infrastructure.database import make_engine
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.outbox import OutboxMessage, stage_many
from npa.infrastructure.relay import OutboxRelay, RelaySettings
from npa.infrastructure.topics_admin import ensure_topics
from tests.support.processes import free_port, tansu_broker
from tests.support.services import read_topic


def stage(engine, subjects: list[str]) -> list[str]:  # noqa: ANN001
    ids = []
    with Session(engine) as session:
        for version, subject in enumerate(subjects, start=1):
            event = new_event(source="/services/offers", type="de.npa.offer.updated", subject=subject,
                              data={"version": version})
            stage_many(session, "npa.offers.v1", [event])
            ids.append(event.id)
        session.commit()
    return ids


def pending_count(engine) -> int:  # noqa: ANN001
    with Session(engine) as session:
        return len(session.exec(select(OutboxMessage).where(OutboxMessage.published_at.is_(None))).all())


async def test_relay_survives_a_broker_outage(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/outbox.db")
    SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])
    port = free_port()
    broker = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=1500, retry_backoff_ms=100)

    async def publish(messages):  # noqa: ANN001, ANN202
        return await kafka.send_batched(broker, messages)

    relay = OutboxRelay(engine, publish, settings=RelaySettings(poll_seconds=0.1, backoff=Backoff(0.1, 0.5)))
    with tansu_broker(port) as bootstrap:
        await asyncio.to_thread(ensure_topics, bootstrap, 1)
        await broker.start()
        first = stage(engine, ["offer-a"])
        assert await relay.publish_pending() == 1

    # broker gone: the relay keeps trying, nothing is lost, nothing is marked published
    ids = stage(engine, ["offer-a", "offer-b", "offer-a", "offer-c"])
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(3)
    assert pending_count(engine) == 4
    with Session(engine) as session:
        assert all(row.attempts >= 1 for row in session.exec(select(OutboxMessage).where(
            OutboxMessage.published_at.is_(None))))

    task.cancel()

    # broker back; memory storage starts empty, so recreate the topics first, as a restarted
    # Kafka would still have them; then the pending rows leave, oldest first
    with tansu_broker(port) as bootstrap:
        await asyncio.to_thread(ensure_topics, bootstrap, 1)
        task = asyncio.create_task(relay.run())
        for _ in range(200):
            if pending_count(engine) == 0:
                break
            await asyncio.sleep(0.1)
        assert pending_count(engine) == 0
        records = await read_topic(bootstrap, "npa.offers.v1", expected=4)
        task.cancel()
        await broker.stop()
    delivered = list(dict.fromkeys(decode(r.value).id for r in records))  # at-least-once: repeats allowed
    assert delivered == ids
    assert first[0] not in delivered
