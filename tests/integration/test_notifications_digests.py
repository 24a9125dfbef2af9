"""Daily and weekly digests on SQLite and PostgreSQL: grouping, one per period, every item
exactly once, nothing lost when an item arrives while a digest is built; sent over real SMTP.

Times are explicit (`now`), in 2030, so no test depends on the clock or waits for one.
"""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from npa.contracts.events import offers as offer_events
from services.notifications import domain, usecases
from services.notifications.models import Digest, DigestItem, Subscription
from services.notifications.usecases import items
from tests.support.notifications import (
    apply,
    example_event,
    notifications_runtime,
    offer_event,
    subscribe,
)

T0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)  # a Tuesday
WEDNESDAY_7 = datetime(2030, 1, 2, 6, 0, tzinfo=UTC)  # 07:00 in Hannover (CET)
THURSDAY_7 = datetime(2030, 1, 3, 6, 0, tzinfo=UTC)
FRIDAY_7 = datetime(2030, 1, 4, 6, 0, tzinfo=UTC)
MONDAY_7 = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
SCHEDULE = domain.DigestSchedule()
HANNOVER, OLDENBURG = "03241", "03403"


def digests_of(runtime, subscription_id: str) -> list[Digest]:  # noqa: ANN001
    with Session(runtime.engine) as session:
        return list(session.exec(select(Digest).where(Digest.subscription_id == subscription_id)
                                 .order_by(col(Digest.created_at))))


def titles(digest: Digest, runtime) -> list[tuple[str, str]]:  # noqa: ANN001
    from services.notifications.models import ItemSnapshot

    with Session(runtime.engine) as session:
        return [(entry["section"], (session.get_one(ItemSnapshot, entry["event_id"]).data.get("title")))
                for entry in digest.entries]


def build(runtime, now: datetime) -> int:  # noqa: ANN001
    return usecases.build_due_digests(runtime.engine, SCHEDULE, now)


async def test_digests_group_items_once_per_period_and_none_twice(database_url, smtp_sink):  # noqa: ANN001
    with notifications_runtime(database_url, smtp_sink.port) as runtime:
        daily = subscribe(runtime, "daily@example.org", T0, regions=[HANNOVER], frequency="daily", examples=True)
        weekly = subscribe(runtime, "weekly@example.org", T0, frequency="weekly", language="en")
        subscribe(runtime, "immediate@example.org", T0)

        first = offer_event(district=HANNOVER, title="Deutschkurs A1")
        elsewhere = offer_event(district=OLDENBURG, title="Sprachcafé Oldenburg")
        example = example_event(fields=["sprache"], district=None, title="Sprachpaten")
        renamed = offer_event(district=HANNOVER, offer_id=first.subject, version=2, title="Deutschkurs A1 am Abend",
                              event_type=offer_events.UPDATED, changed=["title"])
        for event in (first, elsewhere, example, renamed):
            assert await apply(runtime, event) == "applied"
        assert await apply(runtime, elsewhere) == "duplicate"  # a redelivered event adds nothing

        assert build(runtime, WEDNESDAY_7) == 1  # the daily one; the weekly cadence began after Monday's slot
        assert build(runtime, WEDNESDAY_7) == 0  # the same period again: nothing new
        assert build(runtime, datetime(2030, 1, 2, 12, 0, tzinfo=UTC)) == 0  # later the same day: same period
        (wednesday,) = digests_of(runtime, daily)
        assert wednesday.period_key == "daily:2030-01-02" and wednesday.status == "queued"
        assert titles(wednesday, runtime) == [("new_offers", "Deutschkurs A1 am Abend"), ("examples", "Sprachpaten")]

        later = offer_event(district=None, title="Telefonberatung landesweit")  # between two digests
        await apply(runtime, later)
        assert build(runtime, THURSDAY_7) == 1
        thursday = digests_of(runtime, daily)[-1]
        assert titles(thursday, runtime) == [("new_offers", "Telefonberatung landesweit")]  # only the new one

        assert build(runtime, FRIDAY_7) == 0  # nothing waiting: an empty digest is not sent
        assert [d.status for d in digests_of(runtime, daily)] == ["queued", "queued", "empty"]

        assert build(runtime, MONDAY_7) == 1  # the weekly digest; Monday's daily one is empty
        (week,) = digests_of(runtime, weekly)
        assert sorted(titles(week, runtime)) == [("new_offers", "Deutschkurs A1 am Abend"),
                                                 ("new_offers", "Sprachcafé Oldenburg"),
                                                 ("new_offers", "Telefonberatung landesweit")]
        with Session(runtime.engine) as session:
            open_items = session.exec(select(DigestItem).where(col(DigestItem.digest_id).is_(None))).all()
        assert open_items == []  # every item landed in exactly one digest

        await runtime.sender.send_due(datetime(2030, 1, 8, tzinfo=UTC))
        digests_sent = [m for m in smtp_sink.handler.messages if "bersicht" in m["Subject"] or "digest" in m["Subject"]]
        assert sorted(str(m["To"]) for m in digests_sent) == ["daily@example.org", "daily@example.org",
                                                               "weekly@example.org"]
        (english,) = [m for m in digests_sent if m["To"] == "weekly@example.org"]
        assert english["Subject"] == "Your weekly digest, 7 Jan 2030: 3 new offers"
        assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert english["Message-ID"] == domain.message_id(weekly, week.id, "localhost")
        immediate_alerts = smtp_sink.handler.to("immediate@example.org")
        assert len([m for m in immediate_alerts if m["Subject"].startswith("Neues Angebot")]) == 3


async def test_an_item_committed_after_the_digest_statement_waits_for_the_next_digest(postgres_url):  # noqa: ANN001
    """PostgreSQL, read committed: the consumer's transaction is still open while the digest
    is built; its item is not in this digest and not lost either."""
    with notifications_runtime(postgres_url) as runtime:
        daily = subscribe(runtime, "daily@example.org", T0, frequency="daily")
        await apply(runtime, offer_event(title="Vorher"))
        in_flight = Session(runtime.engine)
        items.on_offer_events(in_flight, [offer_event(title="Während")])
        in_flight.flush()  # written, not committed

        assert build(runtime, WEDNESDAY_7) == 1
        in_flight.commit()
        in_flight.close()
        assert titles(digests_of(runtime, daily)[0], runtime) == [("new_offers", "Vorher")]
        assert build(runtime, THURSDAY_7) == 1
        assert titles(digests_of(runtime, daily)[1], runtime) == [("new_offers", "Während")]


async def test_replicas_building_at_once_make_one_digest_per_period(database_url):  # noqa: ANN001
    with notifications_runtime(database_url) as runtime:
        subscribers = [subscribe(runtime, f"reader{n}@example.org", T0, frequency="daily") for n in range(8)]
        await apply(runtime, offer_event())
        start = threading.Barrier(3)
        queued: list[int] = []

        def replica() -> None:
            start.wait()
            queued.append(build(runtime, WEDNESDAY_7))

        threads = [threading.Thread(target=replica) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(queued) == len(subscribers)
        assert all(len(digests_of(runtime, s)) == 1 for s in subscribers)


async def test_unique_constraints_hold_without_the_code(database_url):  # noqa: ANN001
    with notifications_runtime(database_url) as runtime:
        daily = subscribe(runtime, "daily@example.org", T0, frequency="daily")
        event = offer_event()
        await apply(runtime, event)
        build(runtime, WEDNESDAY_7)
        with Session(runtime.engine) as session:
            session.add(Digest(subscription_id=daily, frequency="daily", period_key="daily:2030-01-02", status="empty"))
            with pytest.raises(IntegrityError):
                session.commit()
        with Session(runtime.engine) as session:
            session.add(DigestItem(subscription_id=daily, event_id=event.id, item_kind="offer", item_id=event.subject,
                                   change="new"))
            with pytest.raises(IntegrityError):
                session.commit()


async def test_switching_to_immediate_sends_what_waits_as_a_last_digest(database_url):  # noqa: ANN001
    with notifications_runtime(database_url) as runtime:
        daily = subscribe(runtime, "daily@example.org", T0, frequency="weekly")
        await apply(runtime, offer_event(title="Wartet auf die Woche"))
        with Session(runtime.engine, expire_on_commit=False) as session:
            subscription = session.get_one(Subscription, daily)
            changed = usecases.change_preferences(session, subscription, {**subscription.preferences(),
                                                                          "frequency": "immediate"}, THURSDAY_7)
            session.commit()
        assert changed
        (last,) = digests_of(runtime, daily)
        assert last.period_key.startswith("until:") and titles(last, runtime) == [("new_offers", "Wartet auf die Woche")]
        assert build(runtime, MONDAY_7) == 0  # no weekly digest any more
