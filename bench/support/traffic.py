"""What benchmarks send and read: an actor and a partner through the public APIs, confirmed
subscribers, partner offer messages on the partner topic, and events read back from Kafka."""

import asyncio
import email
import email.policy
import json
import re
import time
import urllib.request
from collections.abc import Callable
from email.header import decode_header, make_header
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from localrun.demo_data import call, retry
from npa.contracts.reference import FIELDS
from npa.contracts.signatures import SigningKey, public_key_text
from npa.infrastructure.topics_admin import ensure_topics
from npa.partner_client.client import headers_of, upserted

FIELD_SLUGS = tuple(FIELDS)
DISTRICTS = ("03241", "03101", "03355", "03403", "03459", "03151")


def register_partner(urls: dict[str, str], token: str) -> dict:
    """An actor (actors API), then a partner for it once the offers service knows the actor."""
    status, actor = call("POST", f"{urls['actors']}/api/v1/actors", token,
                         {"name": "Bench-Bildungsträger", "kind": "bildungstraeger", "districts": [], "fields": list(FIELDS)})
    assert status == 201, actor

    def make_partner():  # noqa: ANN202
        status, body = call("POST", f"{urls['offers']}/api/v1/partners", token,
                            {"name": "Bench-Kursdatenbank", "actor_id": actor["id"]})
        return body if status == 201 else None

    partner = retry(make_partner, timeout=60)
    assert partner is not None, "the offers service did not learn about the actor"
    signing_key = SigningKey.generate()  # partner messages are signed (ADR 0013)
    status, registered = call("POST", f"{urls['offers']}/api/v1/partners/{partner['id']}/signing-keys",
                              partner["api_key"], {"public_key": public_key_text(signing_key.public_key)})
    assert status == 201, registered
    partner["signing_key"] = signing_key
    return partner


def baseline_partner() -> dict:
    """A partner nobody registered, for the bare-subscriber baselines: same message size."""
    return {"id": "p", "signing_key": SigningKey.generate()}


def subscribe_confirmed(urls: dict[str, str], mail: Path, per_field: int) -> int:
    """`per_field` immediate subscribers for each field, confirmed through their mail links."""
    count = 0
    for field in FIELDS:
        for number in range(per_field):
            body = {"email": f"bench-{field}-{number}@example.org", "fields": [field], "regions": [],
                    "frequency": "immediate", "language": "de"}
            status, answer = call("POST", f"{urls['notifications']}/api/v1/subscriptions", None, body)
            assert status == 202, answer
            count += 1
    links: set[str] = set()
    deadline = time.monotonic() + 60
    while len(links) < count and time.monotonic() < deadline:
        for path in mail.glob("confirm-*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            links.update(re.findall(r"https?://\S+/subscriptions/confirm\?token=[\w.\-]+", text))
        time.sleep(0.2)
    assert len(links) == count, f"{len(links)} of {count} confirmation mails arrived"
    for link in links:
        urllib.request.urlopen(link, timeout=10).close()
    return count


def offer_message(partner: dict, external_id: str, title: str, number: int) -> tuple[bytes, bytes, list]:
    """One partner upsert as the bundled client builds and signs it: (key, value, headers); ~1.2 KB."""
    offer = {"title": title, "fields": [FIELD_SLUGS[number % len(FIELD_SLUGS)]], "district": DISTRICTS[number % len(DISTRICTS)],
             "summary": "Kurs am Vormittag mit Kinderbetreuung, vier Termine pro Woche, Einstieg jederzeit.",
             "description": "Ein Angebot aus dem Benchmark. " * 12, "city": "Hannover", "postcode": "30159",
             "languages": ["de", "ar"], "target_groups": ["erwachsene"], "costs": "kostenlos"}
    if not isinstance(partner, dict) or "signing_key" not in partner:
        raise TypeError("offer_message needs the partner dict of register_partner (its signing key signs; ADR 13)")
    event = partner["signing_key"].sign(upserted(partner["id"], external_id, offer))
    return event.subject.encode(), event.model_dump_json().encode(), headers_of(event)


async def start_producer(bootstrap: str) -> AIOKafkaProducer:
    await asyncio.to_thread(ensure_topics, bootstrap, 4)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2, max_batch_size=512 * 1024)
    await producer.start()
    return producer


class TopicWatch:
    """Reads a topic from the beginning (no group) in the background and calls `on_record`."""

    def __init__(self, bootstrap: str, topic: str, on_record: Callable[[object], None]) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20,
                                          max_partition_fetch_bytes=4 * 1024 * 1024)
        self._topic = topic
        self._on_record = on_record
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self._consumer.start()
        await self._consumer._client.force_metadata_update()  # noqa: SLF001
        partitions = [TopicPartition(self._topic, p) for p in sorted(self._consumer.partitions_for_topic(self._topic))]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            for records in (await self._consumer.getmany(timeout_ms=200, max_records=5000)).values():
                for record in records:
                    self._on_record(record)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()


def offer_event(record) -> dict:  # noqa: ANN001
    return json.loads(record.value)


async def wait_for(condition: Callable[[], bool], timeout: float, progress: Callable[[], int] | None = None,
                   stall_seconds: float = 30.0) -> bool:
    """Until `condition` holds, the timeout passes, or `progress` has not moved for `stall_seconds`."""
    deadline = time.monotonic() + timeout
    last, moved_at = None, time.monotonic()
    while time.monotonic() < deadline:
        if condition():
            return True
        if progress is not None:
            current = progress()
            if current != last:
                last, moved_at = current, time.monotonic()
            elif time.monotonic() - moved_at > stall_seconds:
                return False
        await asyncio.sleep(0.1)
    return False


def decoded_subject(raw: bytes) -> str:
    return str(make_header(decode_header(raw.decode("ascii", "replace"))))


class AcceptedMails:
    """The sink's accepted.tsv read incrementally: each call parses only the lines added since
    the last one. (Parsing the whole file on every poll kept a core busy in the benchmark
    itself once tens of thousands of mails had arrived — load the services then had to share.)"""

    def __init__(self, mail: Path) -> None:
        self._path = mail / "accepted.tsv"
        self._offset = 0
        self._partial = b""
        self.rows: list[tuple[float, str]] = []

    def __call__(self) -> list[tuple[float, str]]:
        if not self._path.exists():
            return self.rows
        with self._path.open("rb") as accepted:
            accepted.seek(self._offset)
            data = accepted.read()
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            if line:
                at, _, subject = line.partition(b"\t")
                self.rows.append((float(at), decoded_subject(subject)))
        return self.rows


def accepted_mails(mail: Path) -> list[tuple[float, str]]:
    path = mail / "accepted.tsv"
    if not path.exists():
        return []
    rows = []
    for line in path.read_bytes().splitlines():
        at, _, subject = line.partition(b"\t")
        rows.append((float(at), decoded_subject(subject)))
    return rows


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]
