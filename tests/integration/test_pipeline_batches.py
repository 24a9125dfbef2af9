"""The batched pipeline against the real broker and real databases: poison messages parked in
the middle of a batch while the rest is applied and the offsets committed after the transaction;
a process killed between its transaction and its offset commit changes nothing when the records
come again."""

import asyncio
import subprocess
import sys
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import decode, encode, new_event
from npa.contracts.events import partner_offers as partner_events
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.outbox import OutboxMessage
from npa.partner_client.client import headers_of, upserted
from services.offers.models import Offer
from tests.support.offers import OFFER, create_partner, register_actor, signed
from tests.support.services import committed_offsets, eventually, read_topic, running_service, service_settings

ROOT = Path(__file__).resolve().parents[2]


async def produce_all(bootstrap: str, records: list[tuple[bytes, bytes, list]]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send(topics.PARTNER_OFFERS, value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


def upsert(partner: dict, number: int, **changes: object) -> tuple[bytes, bytes, list]:
    event = signed(partner, upserted(partner["id"], f"kurs-{number}",
                                     {**OFFER, "title": f"Deutschkurs Nummer {number}", **changes}))
    return event.subject.encode(), encode(event), headers_of(event)


def unchecked_upsert(partner: dict, number: int, **changes: object) -> tuple[bytes, bytes, list]:
    """As a partner system that skipped the client's validation would send it."""
    partner_id = partner["id"]
    data = {"partner_id": partner_id, "external_id": f"kurs-{number}", "offer": {**OFFER, **changes}}
    event = signed(partner, new_event(source=partner_events.source_of(partner_id), type=partner_events.UPSERTED,
                                      subject=partner_events.key_of(partner_id, f"kurs-{number}"), data=data))
    return event.subject.encode(), encode(event), headers_of(event)


def counted(outcome: str) -> float:
    return sum(sample.value for family in REGISTRY.collect() if family.name == "npa_events_consumed"
               for sample in family.samples if sample.name == "npa_events_consumed_total"
               and sample.labels["topic"] == topics.PARTNER_OFFERS and sample.labels["outcome"] == outcome)


def table_count(database_url: str, table) -> int:  # noqa: ANN001
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return session.execute(select(func.count()).select_from(table)).scalar_one()
    finally:
        engine.dispose()


async def test_poison_in_a_batch_is_parked_and_the_rest_applied_then_committed(kafka_bootstrap, database_url):
    settings = service_settings("offers", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client, "actor-1")
        good = [upsert(partner, number) for number in range(40)]
        poison = [unchecked_upsert(partner, 100, district="99999"),  # caught by OfferBody: names the field
                  upsert(partner, 101, provider_actor_id="nobody"),  # refused by the use case
                  (b"k", b"{broken", [])]
        records = good[:15] + poison[:1] + good[15:30] + poison[1:] + good[30:]
        await produce_all(kafka_bootstrap, records)

        await eventually(lambda: table_count(database_url, Offer.__table__) == 40, timeout=30)
        parked = await read_topic(kafka_bootstrap, topics.dead_letter(topics.PARTNER_OFFERS), expected=3)
        reasons = sorted(dict(record.headers)["npa-dlq-reason"].decode() for record in parked)
        assert reasons[0].startswith("body is not JSON")
        assert reasons[1].startswith("data.offer.district") and reasons[2].startswith("data.offer.provider_actor_id")
        published = await read_topic(kafka_bootstrap, topics.OFFERS, expected=40)
        assert len({decode(record.value).subject for record in published}) == 40

        async def all_committed() -> bool:
            ends = {p: 0 for p in range(4)}
            for record in await read_topic(kafka_bootstrap, topics.PARTNER_OFFERS, expected=len(records)):
                ends[record.partition] = max(ends[record.partition], record.offset + 1)
            return await committed_offsets(kafka_bootstrap, "offers", topics.PARTNER_OFFERS) == ends

        assert await eventually(all_committed, timeout=15)


async def test_killed_between_transaction_and_offset_commit_the_redelivery_changes_nothing(kafka_bootstrap,
                                                                                          database_url):
    settings = service_settings("offers", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client, "actor-1")

    crashing = subprocess.Popen([sys.executable, "-m", "tests.support.crash_after_transaction", database_url,
                                 kafka_bootstrap], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert crashing.stdout is not None
    assert (await asyncio.to_thread(crashing.stdout.readline)).strip() == "ready"
    await produce_all(kafka_bootstrap, [upsert(partner, number) for number in range(60)])
    line = await asyncio.to_thread(crashing.stdout.readline)
    assert await asyncio.to_thread(crashing.wait, 30) == -9
    applied_before_crash = int(line.split()[1])
    # That batch committed, its offset not; batches of other partitions may have committed beside it.
    assert table_count(database_url, Offer.__table__) >= applied_before_crash

    run_migrations(ROOT / "services" / "offers" / "migrations", database_url)
    duplicates_before = counted("duplicate")
    async with running_service(settings):
        await eventually(lambda: table_count(database_url, Offer.__table__) == 60, timeout=30)
        await eventually(lambda: counted("duplicate") - duplicates_before >= applied_before_crash, timeout=15)
        published = await read_topic(kafka_bootstrap, topics.OFFERS, expected=61, timeout=3)
    assert table_count(database_url, OutboxMessage.__table__) == 60  # one event per offer, none staged twice
    events = [decode(record.value) for record in published]
    assert len(events) == 60 and len({event.subject for event in events}) == 60
    assert {event.data["version"] for event in events} == {1}
