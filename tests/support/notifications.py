"""Shared helpers of the notifications tests (no tests here; the file name keeps it among them).

`notifications_runtime` builds the service's real runtime on a real database without starting
the broker: events go through the real consumer (`EventConsumer.process`: decode, inbox,
version check, handler, commit), mails through the real sender to the real SMTP sink.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, encode, new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import offers as offer_events
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.database import run_migrations
from services.notifications import usecases
from services.notifications.app import NotificationsRuntime
from services.notifications.config import NotificationsConfig, SenderPolicy
from services.notifications.models import Delivery, Subscription
from tests.support.services import ROOT, service_settings

MIGRATIONS = ROOT / "services" / "notifications" / "migrations"
TOPIC_OF = {"offer": topics.OFFERS, "example": topics.EXAMPLES, "actor": topics.ACTORS}


@contextmanager
def notifications_runtime(database_url: str, smtp_port: int = 9, *, connections: int = 4,
                          batch_size: int = 200, poll_seconds: float = 0.5) -> Iterator[NotificationsRuntime]:
    run_migrations(MIGRATIONS, database_url)
    settings = service_settings("notifications", database_url=database_url, bootstrap="127.0.0.1:9",
                                smtp_host="127.0.0.1", smtp_port=smtp_port)
    sender = SenderPolicy(connections=connections, batch_size=batch_size, poll_seconds=poll_seconds,
                          smtp_timeout_seconds=5,
                          lease_seconds=60, max_attempts=4, backoff=Backoff(base_seconds=0.05, max_seconds=1))
    runtime = NotificationsRuntime(settings, replace(NotificationsConfig(), sender=sender))
    try:
        yield runtime
    finally:
        runtime.engine.dispose()


async def apply(runtime: NotificationsRuntime, event: CloudEvent) -> str:
    """Deliver an event as the broker would; returns the consumer's outcome (applied, duplicate …)."""
    assert runtime.processor is not None
    topic = TOPIC_OF[event.type.split(".")[2]]
    return await runtime.processor.process(topic, event.subject.encode(), encode(event))


def subscribe(runtime: NotificationsRuntime, email: str, now: datetime, **preferences: object) -> str:
    """Request and confirm at `now`, as the pages do; returns the subscription id."""
    values = {"fields": ["sprache"], "regions": [], "frequency": "immediate", "language": "de", "examples": False,
              "new_actors": False, **preferences}
    with Session(runtime.engine, expire_on_commit=False) as session:
        subscription = usecases.request_subscription(session, email, values, now)
        session.commit()
        usecases.confirm_subscription(session, subscription.id, now)
        session.commit()
        return subscription.id


def offer_event(*, fields: list[str] | None = None, district: str | None = "03241", offer_id: str | None = None,
                version: int = 1, event_type: str = offer_events.PUBLISHED, status: str = "published",
                changed: list[str] | None = None, title: str = "Deutschkurs A1") -> CloudEvent:
    offer_id = offer_id or str(uuid.uuid4())
    state = offer_events.OfferState(
        id=offer_id, version=version, status=status, title=title, fields=fields or ["sprache"], district=district,
        languages=["de", "ar"], costs="kostenlos", changed_fields=changed or [],
        url=f"http://127.0.0.1:8002/offers/{offer_id}")
    return new_event(source=offer_events.SOURCE, type=event_type, subject=offer_id, data=state.model_dump(mode="json"))


def example_event(*, fields: list[str], district: str | None, title: str = "Sprachpaten") -> CloudEvent:
    example_id = str(uuid.uuid4())
    state = example_events.ExampleState(id=example_id, version=1, status="published", title=title, fields=fields,
                                        district=district, page_url=f"http://127.0.0.1:8002/examples/{example_id}")
    return new_event(source=example_events.SOURCE, type=example_events.PUBLISHED, subject=example_id,
                     data=state.model_dump(mode="json"))


def actor_event(*, fields: list[str], districts: list[str], name: str = "Stadtteilzentrum") -> CloudEvent:
    actor_id = str(uuid.uuid4())
    state = actor_events.ActorState(id=actor_id, version=1, name=name, kind="initiative", districts=districts,
                                    fields=fields)
    return new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject=actor_id,
                     data=state.model_dump(mode="json"))


def deliveries(runtime: NotificationsRuntime, **where: object) -> list[Delivery]:
    query = select(Delivery)
    for name, value in where.items():
        query = query.where(getattr(Delivery, name) == value)
    with Session(runtime.engine) as session:
        return list(session.exec(query))


def email_of(runtime: NotificationsRuntime, subscription_id: str) -> str:
    with Session(runtime.engine) as session:
        return session.get_one(Subscription, subscription_id).email
