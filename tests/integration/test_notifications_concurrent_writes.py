"""Two writers of one subscription at once (SQLite and PostgreSQL): the link pages' use cases
lock the subscription as they load it (`lock_subscription`), so a second click, or the other
link of the same mail, waits and takes the next version. Read without the lock, it would write
the version the other writer wrote, and of the two events with that version the reports keep
only the first."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from npa.contracts.envelope import decode
from npa.infrastructure.outbox import OutboxMessage
from npa.infrastructure.unit_of_work import EngineUnitOfWork
from services.notifications import usecases
from services.notifications.models import Subscription
from services.notifications.usecases.subscriptions import cancel_by_link, change_preferences_by_link
from tests.support.concurrent_writer import after_a_concurrent_write
from tests.support.unit_of_work import migrated

PREFERENCES = {"fields": ["sprache"], "regions": [], "frequency": "immediate", "language": "de", "examples": False,
               "new_actors": False}
MOVE_ON = "UPDATE subscriptions SET version = version + 1, language = 'en' WHERE id = :id"  # the other writer


@pytest.fixture
def confirmed(database_url: str) -> Iterator[tuple[EngineUnitOfWork, str]]:
    """A confirmed subscription at version 1, its confirmation event staged."""
    with migrated(database_url, "notifications") as uow:
        with uow.transaction() as session:
            subscription = usecases.request_subscription(session, "leserin@example.org", PREFERENCES,
                                                         datetime(2026, 12, 2, tzinfo=UTC))
            usecases.confirm_subscription(session, subscription.id, datetime(2026, 12, 2, 0, 1, tzinfo=UTC))
            session.commit()
            subscription_id = subscription.id
        yield uow, subscription_id


def _versions(uow: EngineUnitOfWork, subscription_id: str) -> tuple[int, list[int]]:
    with uow.reading() as session:
        stored = session.exec(select(Subscription.version).where(Subscription.id == subscription_id)).one()
        events = [decode(message.payload) for message in session.exec(select(OutboxMessage))]
    return stored, sorted(event.version for event in events if event.subject == subscription_id)


def test_a_preference_change_waits_and_takes_the_next_version(confirmed):  # noqa: ANN001
    uow, subscription_id = confirmed
    subscription, saved = after_a_concurrent_write(
        uow, MOVE_ON, {"id": subscription_id},
        lambda: change_preferences_by_link(uow, subscription_id, {**PREFERENCES, "fields": ["arbeit"]}))
    assert (saved, subscription.version, subscription.fields) == (True, 3, ["arbeit"])
    assert _versions(uow, subscription_id) == (3, [1, 3])


def test_an_unsubscribe_waits_and_takes_the_next_version(confirmed):  # noqa: ANN001
    uow, subscription_id = confirmed
    language = after_a_concurrent_write(uow, MOVE_ON, {"id": subscription_id},
                                        lambda: cancel_by_link(uow, subscription_id))
    assert language == "en"  # read after the other writer committed
    assert _versions(uow, subscription_id) == (3, [1, 3])
