"""Matching in SQL returns exactly what the domain rule says, on SQLite and PostgreSQL.

Random subscriptions (fields × district keys × ARL regions × all of Lower Saxony, both opt-ins,
every frequency; some changed, cancelled, erased or never confirmed) and random items (offers,
good examples, actors with several districts or none; updates that move an offer; withdrawals)
go through the real use cases and the real consumer; who got a mail or a digest item must be
the set `domain.matches`/`matches_any` and the update rules of items.py name.
"""

import random
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from npa.contracts.events import offers as offer_events
from npa.contracts.reference import ARL_REGIONS, districts
from services.notifications import domain, usecases
from services.notifications.models import Delivery, DigestItem, Subscription
from services.notifications.usecases import audience
from tests.support.notifications import actor_event, apply, example_event, notifications_runtime, offer_event

T0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
FIELDS = ["sprache", "arbeit", "engagement", "wohnen", "teilhabe"]
DISTRICTS = sorted(districts())


def random_regions(rng: random.Random) -> list[str]:
    shape = rng.random()
    if shape < 0.25:
        return []
    if shape < 0.45:
        return rng.sample(ARL_REGIONS, rng.randint(1, 2))
    if shape < 0.85:
        return rng.sample(DISTRICTS, rng.randint(1, 3))
    return rng.sample(ARL_REGIONS, 1) + rng.sample(DISTRICTS, rng.randint(1, 3))  # a district inside it, maybe


def random_preferences(rng: random.Random) -> dict:
    return {"fields": rng.sample(FIELDS, rng.randint(1, 3)), "regions": random_regions(rng),
            "frequency": rng.choice(domain.FREQUENCIES), "language": "de", "examples": rng.random() < 0.4,
            "new_actors": rng.random() < 0.3}


def place(rng: random.Random) -> str | None:
    return None if rng.random() < 0.2 else rng.choice(DISTRICTS)


def seed(runtime, rng: random.Random, count: int) -> None:  # noqa: ANN001
    with Session(runtime.engine, expire_on_commit=False) as session:
        for n in range(count):
            subscription = usecases.request_subscription(session, f"reader{n}@example.org", random_preferences(rng), T0)
            session.commit()
            fate = rng.random()
            if fate < 0.08:
                continue  # never confirmed
            usecases.confirm_subscription(session, subscription.id, T0)
            session.commit()
            if fate < 0.25:
                usecases.change_preferences(session, subscription, random_preferences(rng), T0)
            elif fate < 0.32:
                usecases.cancel_subscription(session, subscription.id, T0)
            elif fate < 0.35:
                usecases.erase_subscription(session, subscription.id, T0)
            session.commit()


def active(runtime) -> list[Subscription]:  # noqa: ANN001
    with Session(runtime.engine) as session:
        return list(session.exec(select(Subscription).where(Subscription.status == domain.ACTIVE)))


def queued(runtime, event_id: str) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    """subscription id → ("mail", kind) or ("digest", change) for one event."""
    with Session(runtime.engine) as session:
        mails = session.exec(select(Delivery.subscription_id, Delivery.kind).where(Delivery.event_id == event_id))
        found = {sid: ("mail", kind) for sid, kind in mails}
        items = session.exec(select(DigestItem.subscription_id, DigestItem.change).where(
            DigestItem.event_id == event_id)).all()
    for sid, change in items:
        assert sid not in found
        found[sid] = ("digest", change)
    return found


def expected(readers: list[Subscription], changes: dict[str, str]) -> dict[str, tuple[str, str]]:
    kinds = {domain.NEW: domain.ALERT, domain.CHANGED: domain.UPDATE, domain.WITHDRAWN: domain.WITHDRAWAL}
    frequency = {r.id: r.frequency for r in readers}
    return {sid: ("mail", kinds[change]) if frequency[sid] == domain.IMMEDIATE else ("digest", change)
            for sid, change in changes.items()}


@pytest.mark.parametrize("seed_value", [7, 2030])
async def test_sql_matching_is_the_domain_rule(database_url, seed_value):  # noqa: ANN001
    rng = random.Random(seed_value)
    with notifications_runtime(database_url) as runtime:
        seed(runtime, rng, 120)
        readers = active(runtime)
        assert len(readers) > 60
        by_id = {r.id: r for r in readers}
        for _ in range(40):
            fields, district = rng.sample(FIELDS, rng.randint(1, 3)), place(rng)
            what = rng.random()
            if what < 0.5:
                event = offer_event(fields=fields, district=district)
                wanted = {r.id for r in readers if domain.matches(r.fields, r.regions, fields, district)}
            elif what < 0.75:
                event = example_event(fields=fields, district=district)
                wanted = {r.id for r in readers if r.examples and domain.matches(r.fields, r.regions, fields, district)}
            else:
                places = rng.sample(DISTRICTS, rng.choice([0, 1, 2, 4]))
                event = actor_event(fields=fields, districts=places)
                wanted = {r.id for r in readers
                          if r.new_actors and domain.matches_any(r.fields, r.regions, fields, places)}
            assert await apply(runtime, event) == "applied"
            assert queued(runtime, event.id) == expected(readers, dict.fromkeys(wanted, domain.NEW)), event.type
            if event.type == offer_events.PUBLISHED and rng.random() < 0.6:
                await moved_or_withdrawn(runtime, rng, event, fields, district, readers, by_id)
        with Session(runtime.engine) as session:  # the index alone, without the handler
            for _ in range(20):
                fields, district = rng.sample(FIELDS, rng.randint(1, 2)), place(rng)
                found = set(session.execute(audience.wanting(
                    domain.AUDIENCE_OFFERS, fields, [district] if district else [], domain.FREQUENCIES)).scalars())
                assert found == {r.id for r in readers if domain.matches(r.fields, r.regions, fields, district)}


async def moved_or_withdrawn(runtime, rng, published, fields, district, readers, by_id) -> None:  # noqa: ANN001
    told = {sid for sid, (how, _kind) in queued(runtime, published.id).items() if how == "mail"}
    if rng.random() < 0.3:
        withdrawn = offer_event(fields=fields, district=district, offer_id=published.subject, version=2,
                                event_type=offer_events.WITHDRAWN, status="withdrawn", changed=["status"])
        assert await apply(runtime, withdrawn) == "applied"
        assert queued(runtime, withdrawn.id) == expected(readers, dict.fromkeys(told, domain.WITHDRAWN))
        return
    new_fields, new_district = rng.sample(FIELDS, rng.randint(1, 3)), place(rng)
    moved = offer_event(fields=new_fields, district=new_district, offer_id=published.subject, version=2,
                        event_type=offer_events.UPDATED, changed=["fields", "district"])
    assert await apply(runtime, moved) == "applied"
    changes = dict.fromkeys(told, domain.CHANGED)
    for reader in readers:
        now = domain.matches(reader.fields, reader.regions, new_fields, new_district)
        before = domain.matches(reader.fields, reader.regions, fields, district)
        if reader.id not in told and now and not before:
            changes[reader.id] = domain.NEW
    assert queued(runtime, moved.id) == expected([by_id[sid] for sid in changes] or readers, changes)


async def test_a_batch_applies_its_events_as_if_one_by_one(database_url):  # noqa: ANN001
    """Publish and update of one offer in one batch: the update finds the alerts the publish queued."""
    with notifications_runtime(database_url) as runtime:
        with Session(runtime.engine, expire_on_commit=False) as session:
            for name, regions in (("hannover", ["03241"]), ("oldenburg", ["03403"])):
                subscription = usecases.request_subscription(session, f"{name}@example.org", {
                    "fields": ["sprache"], "regions": regions, "frequency": "immediate", "language": "de",
                    "examples": False, "new_actors": False}, T0)
                usecases.confirm_subscription(session, subscription.id, T0)
            session.commit()
        published = offer_event(district="03241")
        moved = offer_event(district="03403", offer_id=published.subject, version=2,
                            event_type=offer_events.UPDATED, changed=["district"])
        gone = offer_event(district="03403", offer_id=published.subject, version=3,
                           event_type=offer_events.WITHDRAWN, status="withdrawn", changed=["status"])
        with Session(runtime.engine) as session:
            from services.notifications.usecases import items

            assert items.on_offer_events(session, [published, moved, gone]) == 5
            session.commit()
        kinds = {event.id: sorted(kind for _how, kind in queued(runtime, event.id).values())
                 for event in (published, moved, gone)}
        assert kinds == {published.id: [domain.ALERT], moved.id: [domain.ALERT, domain.UPDATE],
                         gone.id: [domain.WITHDRAWAL, domain.WITHDRAWAL]}
