"""The relay keeps rows pending while publishing fails and later sends them in order."""

import asyncio

import pytest
from sqlmodel import Session, SQLModel, select

from npa.contracts.envelope import decode, new_event
from npa.infrastructure.database import make_engine
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.outbox import OutboxMessage, stage_many
from npa.infrastructure.relay import OutboxRelay, RelaySettings


class FlakyBroker:
    """Records what is published; every message fails while `down` is set, as when the broker is unreachable."""

    def __init__(self) -> None:
        self.down = True
        self.published: list[tuple[str, bytes, bytes]] = []

    async def publish(self, messages):  # noqa: ANN001, ANN201
        if self.down:
            return [ConnectionError("broker unreachable")] * len(messages)
        self.published.extend((topic, key, payload) for topic, key, payload, _headers in messages)
        return [None] * len(messages)


@pytest.fixture
def engine(tmp_path):  # noqa: ANN001, ANN201
    engine = make_engine(f"sqlite:///{tmp_path}/outbox.db")
    SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])
    return engine


def stage(engine, count: int) -> list[str]:  # noqa: ANN001
    ids = []
    with Session(engine) as session:
        for number in range(count):
            event = new_event(source="/t", type="de.npa.offer.updated", subject=f"offer-{number % 3}",
                              data={"version": number})
            stage_many(session, "npa.offers.v1", [event])
            ids.append(event.id)
        session.commit()
    return ids


def pending(engine) -> list[OutboxMessage]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.published_at.is_(None))))


async def test_rows_stay_pending_while_broker_is_down_and_leave_in_order_later(engine):
    broker = FlakyBroker()
    relay = OutboxRelay(engine, broker.publish, settings=RelaySettings(batch_size=4))
    ids = stage(engine, 10)

    with pytest.raises(ConnectionError):
        await relay.publish_pending()
    rows = pending(engine)
    assert len(rows) == 10
    assert {row.attempts for row in rows[:4]} == {1}
    assert "broker unreachable" in rows[0].last_error

    broker.down = False
    while await relay.publish_pending():
        pass
    assert pending(engine) == []
    assert [decode(payload).id for _, _, payload in broker.published] == ids
    assert [key for _, key, _ in broker.published][:3] == [b"offer-0", b"offer-1", b"offer-2"]


async def test_run_loop_retries_with_backoff_until_the_broker_returns(engine):
    broker = FlakyBroker()
    relay = OutboxRelay(engine, broker.publish, settings=RelaySettings(poll_seconds=0.05, backoff=Backoff(0.05, 0.1)))
    stage(engine, 3)
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.4)
    assert len(pending(engine)) == 3
    broker.down = False
    for _ in range(100):
        if not pending(engine):
            break
        await asyncio.sleep(0.05)
    task.cancel()
    assert pending(engine) == []
    assert len(broker.published) == 3
