"""An outbox relay as its own process, as each replica of a service runs one:

    python -m tests.support.relay_process DATABASE_URL BOOTSTRAP NAME

Prints `holding` when it has taken the service's relay lease and `published N` as it goes.
"""

import asyncio
import sys

from npa.infrastructure import kafka
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.database import make_engine
from npa.infrastructure.lease import lease_for
from npa.infrastructure.relay import OutboxRelay, RelaySettings
from npa.infrastructure.settings import KafkaSecurity


async def main(database_url: str, bootstrap: str, name: str) -> None:
    engine = make_engine(database_url)
    producer = kafka.producer(bootstrap, name, KafkaSecurity(), linger_ms=2)
    await producer.start()

    async def publish(messages: list) -> list:
        return await kafka.send_batched(producer, messages)

    async def read_back(topics: set[str], per_partition: int) -> set[str]:
        return await kafka.recent_event_ids(bootstrap, KafkaSecurity(), topics, per_partition)

    relay = OutboxRelay(engine, publish, settings=RelaySettings(batch_size=500, poll_seconds=0.05,
                                                             lease_retry_seconds=0.5, backoff=Backoff(0.1, 1.0)),
                        lease=lease_for(engine, "test-outbox-relay"), read_back=read_back)
    task = asyncio.create_task(relay.run())
    while not relay.holds_lease:
        await asyncio.sleep(0.05)
    print("holding", flush=True)
    await task


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
