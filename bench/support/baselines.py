"""Baselines measured in the same run as the platform's figures (these machines are shared, so
only ratios compare):

- a bare FastStream subscriber with a pydantic model, as its own process
  (`python -m bench.support.baselines faststream BOOTSTRAP TOPIC COUNT`): prints the wall-clock
  time at which it had read COUNT messages;
- a raw aiokafka hop (producer → consumer group) at a steady rate, for latency percentiles;
- a raw aiokafka read of whole topics, for the replay rate;
- raw aiosmtplib sending prebuilt alert mails into the stack's SMTP sink, for what the machine
  can send at all beside the steady section's need.
"""

import asyncio
import json
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from npa.infrastructure import kafka
from npa.infrastructure.topics_admin import ensure_topics


def run_faststream_subscriber(bootstrap: str, topic: str, count: int) -> None:
    from faststream import FastStream
    from faststream.kafka import KafkaBroker

    from npa.contracts.events.partner_offers import PartnerOfferEvent

    broker = KafkaBroker(bootstrap, log_level=30)
    app = FastStream(broker)
    seen = 0

    @broker.subscriber(topic, group_id=f"bench-faststream-{time.time_ns()}", auto_offset_reset="earliest",
                       session_timeout_ms=2000, heartbeat_interval_ms=500, fetch_max_wait_ms=50)
    async def on_message(event: PartnerOfferEvent) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            print(f"done {time.time():.6f}", flush=True)
            await app.stop()

    @app.after_startup
    async def announce() -> None:
        print("ready", flush=True)

    asyncio.run(app.run())


async def hop_latencies(bootstrap: str, rate: float, seconds: float) -> list[float]:
    """Milliseconds from send to receipt through a consumer group, at `rate` messages per second."""
    topic = f"bench.hop.{time.time_ns()}"
    await asyncio.to_thread(ensure_topics, bootstrap, 4)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic, auto_offset_reset="earliest",
                                fetch_max_wait_ms=50, session_timeout_ms=2000, heartbeat_interval_ms=500)
    await producer.start()
    await producer.send_and_wait(topic, b"{}", key=b"warm-up")
    await consumer.start()
    latencies: list[float] = []
    total = int(rate * seconds)

    async def receive() -> None:
        while len(latencies) < total:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    sent = json.loads(record.value).get("sent")
                    if sent is not None:
                        latencies.append((time.time() - sent) * 1000)

    receiver = asyncio.create_task(receive())
    while not consumer.assignment():
        await asyncio.sleep(0.05)
    started = time.monotonic()
    for number in range(total):
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        await producer.send(topic, json.dumps({"sent": time.time()}).encode(), key=str(number).encode())
    await asyncio.wait_for(receiver, 30)
    await producer.stop()
    await consumer.stop()
    return latencies


async def raw_read_rate(bootstrap: str, topic_names: list[str]) -> tuple[int, float]:
    """(records, records per second) reading the topics from the start to their end, no processing."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = await kafka.partitions_of(consumer, topic_names)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, records = time.perf_counter(), 0
        async for _tp, chunk in kafka.read_to_end(consumer, partitions, max_records=10_000):
            records += len(chunk)
        seconds = time.perf_counter() - started
        return records, records / seconds if seconds else 0.0
    finally:
        await consumer.stop()


def prebuilt_alerts(count: int) -> list[tuple[str, bytes]]:
    """`count` (recipient, bytes) alert mails about one offer, rendered beforehand by the
    service's own renderer: what a raw sender sends, as the service would have built it."""
    from npa.contracts.events import offers as offer_events
    from services.notifications.mails import MailRenderer
    from services.notifications.tokens import SubscriberTokens

    renderer = MailRenderer(mail_from="alerts@localhost", base_url="http://127.0.0.1:8003",
                            signer=SubscriberTokens("bench"))
    offer = offer_events.OfferState(id="offer-1", version=1, status="published", title="Deutschkurs A1",
                                    fields=["sprache"], district="03241", url="http://x/offers/1").model_dump(mode="json")
    return [(f"reader{n}@example.org", renderer.offer_alert(to=f"reader{n}@example.org", subscription_id=str(n),
                                                            language="de", event_id="e", offer=offer))
            for n in range(count)]


async def send_raw(port: int, mails: list[tuple[str, bytes]], connections: int) -> None:
    """Raw aiosmtplib: the mails shared out over `connections` connections, each sending in turn."""
    import aiosmtplib

    async def connection(share: list[tuple[str, bytes]]) -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await smtp.connect()
        for to, data in share:
            await smtp.sendmail("alerts@localhost", [to], data)
        await smtp.quit()

    await asyncio.gather(*(connection(mails[index::connections]) for index in range(connections)))


async def raw_smtp_rate(port: int, count: int, connections: int) -> float:
    """Mails per second accepted by the SMTP server on `port` from raw aiosmtplib (send_raw)."""
    mails = prebuilt_alerts(count)
    started = time.perf_counter()
    await send_raw(port, mails, connections)
    return count / (time.perf_counter() - started)


if __name__ == "__main__":
    if sys.argv[1] == "faststream":
        run_faststream_subscriber(sys.argv[2], sys.argv[3], int(sys.argv[4]))
