"""A generated data set for the reports tests: hundreds of offers over every district and
field, with updates, withdrawals, expiries, republications, redeliveries, stale copies and
one malformed message, as the bus would carry them. The final states stay here as plain
dicts, so the tests compute their expectations without services.reports.

The only test in this module checks that the generator really covers those cases.
"""

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, encode
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from npa.contracts.reference import FIELDS, districts

SLUGS = list(FIELDS)
LANGUAGES = ["de", "ar", "uk", "fa", "ru", "en", "tr"]
KINDS = ["initiative", "kommune", "freier_traeger", "kirche", "migrantenorganisation"]


@dataclass
class DataSet:
    now: datetime
    messages: list[tuple[str, bytes, bytes]] = field(default_factory=list)  # (topic, key, value), in order
    # Applied states per entity, oldest version first: {"version", "time", "type", **state}
    offers: dict[str, list[dict]] = field(default_factory=dict)
    examples: dict[str, list[dict]] = field(default_factory=dict)
    actors: dict[str, list[dict]] = field(default_factory=dict)
    subscriptions: dict[str, list[dict]] = field(default_factory=dict)
    deliveries: list[dict] = field(default_factory=list)  # {"type", "fields"}
    extra: Counter = field(default_factory=Counter)  # redelivered, stale, malformed

    def final(self, kind: str) -> dict[str, dict]:
        return {key: history[-1] for key, history in getattr(self, kind).items()}


def _event(source: str, type_: str, subject: str, time: datetime, data: dict) -> CloudEvent:
    return CloudEvent(id=str(uuid.uuid4()), source=source, type=type_, time=time, subject=subject, data=data)


def _offset(rng: random.Random, now: datetime, max_days: int) -> datetime:
    """A past instant, never within an hour of the 30-day "new" boundary (tests take seconds)."""
    while True:
        age = timedelta(days=rng.uniform(0.1, max_days))
        if abs(age - timedelta(days=30)) > timedelta(hours=1):
            return now - age


def generate(seed: int = 5, offers: int = 300, actors: int = 60, examples: int = 40) -> DataSet:
    rng = random.Random(seed)
    data = DataSet(now=datetime.now(UTC).replace(microsecond=0))
    keys = sorted(districts())
    streams: list[list[tuple[str, CloudEvent]]] = []

    def add(kind: str, topic: str, source: str, entity_id: str, steps: list[tuple[str, datetime, dict]]) -> None:
        history, events = getattr(data, kind).setdefault(entity_id, []), []
        for version, (type_, time, state) in enumerate(steps, start=1):
            full = {**state, "id": entity_id, "version": version}
            history.append({**full, "time": time, "type": type_})
            events.append((topic, _event(source, type_, entity_id, time, full)))
        streams.append(events)

    actor_ids = [f"actor-{number:03d}" for number in range(actors)]
    for number, actor_id in enumerate(actor_ids):
        state = {"name": f"Akteur {number:03d}", "kind": KINDS[number % len(KINDS)],
                 "districts": [] if number % 20 == 0 else rng.sample(keys, rng.randint(1, 3)),
                 "fields": rng.sample(SLUGS, rng.randint(1, 3)), "is_multiplier": rng.random() < 0.25, "active": True}
        time = _offset(rng, data.now, 500)
        steps = [(actor_events.REGISTERED, time, state)]
        if rng.random() < 0.3:
            steps.append((actor_events.UPDATED, time + timedelta(days=3), {**state, "fields": rng.sample(SLUGS, 2)}))
        if number % 10 == 3:
            steps.append((actor_events.DEACTIVATED, time + timedelta(days=9), {**steps[-1][2], "active": False}))
        add("actors", topics.ACTORS, actor_events.SOURCE, actor_id, steps)

    for number in range(offers):
        district = keys[number] if number < len(keys) else (None if rng.random() < 0.08 else rng.choice(keys))
        state = {"status": "published", "title": f"Angebot {number}", "district": district,
                 "fields": [SLUGS[number % 5]] if number < 45 else rng.sample(SLUGS, rng.randint(1, 2)),
                 "women_only": rng.random() < 0.2, "childcare": rng.random() < 0.25,
                 "costs": rng.choice(["kostenlos", "kostenlos", "5 € pro Termin"]),
                 "languages": sorted(rng.sample(LANGUAGES, rng.randint(1, 3))),
                 "provider_actor_id": None if rng.random() < 0.1 else rng.choice(actor_ids)}
        time = _offset(rng, data.now, 420)
        steps = [(offer_events.PUBLISHED, time, state)]
        for _ in range(rng.choice([0, 0, 1, 2])):
            time += (data.now - time) * rng.uniform(0.1, 0.6)
            state = {**state, "women_only": not state["women_only"], "fields": rng.sample(SLUGS, rng.randint(1, 2)),
                     "district": rng.choice(keys) if rng.random() < 0.2 else state["district"]}
            steps.append((offer_events.UPDATED, time, state))
        ending = rng.random()
        if ending < 0.25:
            time += (data.now - time) * rng.uniform(0.1, 0.9)
            type_, status = (offer_events.WITHDRAWN, "withdrawn") if ending < 0.15 else (offer_events.EXPIRED, "expired")
            steps.append((type_, time, {**state, "status": status}))
            if ending < 0.05:  # sent again by its partner: published anew (ADR 7)
                steps.append((offer_events.PUBLISHED, time + (data.now - time) / 2, {**state, "status": "published"}))
        add("offers", topics.OFFERS, offer_events.SOURCE, f"offer-{number:03d}", steps)

    for number in range(examples):
        state = {"status": "published", "title": f"Gutes Beispiel {number}",
                 "district": None if number % 8 == 0 else rng.choice(keys), "fields": rng.sample(SLUGS, rng.randint(1, 2)),
                 "actor_id": rng.choice(actor_ids), "page_url": f"http://offers.test/examples/example-{number:03d}"}
        time = _offset(rng, data.now, 400)
        steps = [(example_events.PUBLISHED, time, state)]
        if number % 5 == 1:
            steps.append((example_events.WITHDRAWN, time + timedelta(days=20), {**state, "status": "withdrawn"}))
        add("examples", topics.EXAMPLES, example_events.SOURCE, f"example-{number:03d}", steps)

    for number in range(15):
        state = {"fields": rng.sample(SLUGS, rng.randint(0, 2)), "regions": [], "frequency": "immediate", "language": "de"}
        time = _offset(rng, data.now, 200)
        steps = [(notification_events.SUBSCRIPTION_CONFIRMED, time, state)]
        if number % 5 == 0:
            steps.append((notification_events.SUBSCRIPTION_CANCELLED, time + timedelta(days=1), state))
        add("subscriptions", topics.NOTIFICATIONS, notification_events.SOURCE, f"subscription-{number:02d}", steps)
    for number in range(80):
        type_ = notification_events.FAILED if number % 9 == 0 else notification_events.SENT
        fields = rng.sample([*SLUGS, "unbekannt"], rng.randint(1, 2))
        data.deliveries.append({"type": type_, "fields": fields})
        outcome = {"id": f"delivery-{number:03d}", "version": 1, "subscription_id": "subscription-01", "event_id": "x",
                   "event_type": offer_events.PUBLISHED, "item_id": "offer-001", "fields": fields}
        streams.append([(topics.NOTIFICATIONS, _event(notification_events.SOURCE, type_, outcome["id"],
                                                      _offset(rng, data.now, 100), outcome))])

    _interleave(rng, data, streams)
    return data


def _interleave(rng: random.Random, data: DataSet, streams: list[list[tuple[str, CloudEvent]]]) -> None:
    """Random order across entities, each entity's own events in version order; then
    redeliveries (same bytes) and stale copies (an older version, new id) behind them."""
    cursors = [list(stream) for stream in streams]
    while cursors:
        stream = rng.choice(cursors)
        topic, event = stream.pop(0)
        data.messages.append((topic, event.subject.encode(), encode(event)))
        if not stream:
            cursors.remove(stream)
    for topic, key, value in rng.sample(data.messages, 40):
        data.messages.append((topic, key, value))
        data.extra["redelivered"] += 1
    for kind, topic, source in (("offers", topics.OFFERS, offer_events.SOURCE), ("actors", topics.ACTORS, actor_events.SOURCE)):
        changed = [history for history in getattr(data, kind).values() if len(history) > 1]
        for history in rng.sample(changed, min(15, len(changed))):
            old = {key: value for key, value in history[0].items() if key not in ("time", "type")}
            copy = _event(source, history[0]["type"], old["id"], history[0]["time"], old)
            data.messages.append((topic, old["id"].encode(), encode(copy)))
            data.extra["stale"] += 1
    data.messages.append((topics.OFFERS, b"offer-broken", b"{not json"))
    data.extra["malformed"] += 1


async def produce_all(bootstrap: str, data: DataSet) -> None:
    """Keyed, in order per key (one in-flight batch per partition), without awaiting each send."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=key) for topic, key, value in data.messages]
        for future in sent:
            await future
    finally:
        await producer.stop()


def test_the_generated_data_set_covers_every_district_field_and_lifecycle_case() -> None:
    data = generate()
    final = data.final("offers")
    assert len(final) == 300
    assert {history[0]["district"] for history in data.offers.values()} >= set(districts())
    assert {slug for history in data.offers.values() for slug in history[0]["fields"]} == set(SLUGS)
    types = Counter(step["type"] for history in data.offers.values() for step in history)
    assert types[offer_events.UPDATED] > 50 and types[offer_events.WITHDRAWN] > 10 and types[offer_events.EXPIRED] > 10
    assert any([s["status"] for s in h][-2:] in (["withdrawn", "published"], ["expired", "published"])
               for h in data.offers.values())
    assert data.extra == Counter(redelivered=40, stale=30, malformed=1)
    assert any(offer["district"] is None for offer in final.values())
    assert generate().messages[0][1] == data.messages[0][1]  # seeded: the same keys in the same order
