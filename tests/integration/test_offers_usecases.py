"""The offers service's offer and good-example use cases on their own unit of work (SQLite and
PostgreSQL): a refused change writes nothing, neither the change nor its event nor an audit
entry, and an editor's change that changes nothing leaves no second entry; on PostgreSQL an
update waits for a concurrent writer of the same offer. The routes' tests cover the rest."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from pydantic import ValidationError
from sqlmodel import select

from npa.contracts.envelope import decode
from npa.contracts.offer_body import OfferBody
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.outbox import OutboxMessage
from npa.infrastructure.unit_of_work import EngineUnitOfWork
from services.offers import usecases
from services.offers.models import KnownActor
from services.offers.usecases import examples
from tests.support.unit_of_work import audit_and_staged, migrated

ANNA = Editor("editor-1", "anna", "Anna Beispiel")
COURSE = OfferBody.model_validate({"title": "Deutschkurs A1", "fields": ["sprache"]})
EXAMPLE = {"title": "Sprachpaten Lüneburg", "period": "seit 2023", "situation": "Viele Neuankommende.",
           "goals": "Deutsch im Alltag.", "measures": "Patenschaften.", "results": "40 Tandems.",
           "fields": ["sprache"], "district": "03355", "actor_id": "actor-1", "contact_email": "paten@lg.example",
           "url": None}


@pytest.fixture
def uow(database_url: str) -> Iterator[EngineUnitOfWork]:
    with migrated(database_url, "offers", KnownActor(id="actor-1", name="VHS Lüneburg", active=True)) as unit:
        yield unit


def test_a_refused_offer_change_writes_nothing(uow):  # noqa: ANN001
    offer = usecases.create_offer(uow, COURSE, base_url="")
    with pytest.raises(ValidationError):  # the merged body is checked as a whole
        usecases.update_offer(uow, offer["id"], {"title": None}, base_url="")
    with pytest.raises(usecases.UnknownProvider):
        usecases.update_offer(uow, offer["id"], {"provider_actor_id": "no-such-actor"}, base_url="")
    with pytest.raises(usecases.OfferNotFound, match="offer no-such-offer not found"):
        usecases.update_offer(uow, "no-such-offer", {"title": "Neu"}, base_url="")
    assert usecases.get_offer(uow, offer["id"]).version == 1
    usecases.withdraw_offer_by_id(uow, offer["id"], base_url="", by=ANNA, reason="doppelt")
    with pytest.raises(usecases.OfferClosed, match="is withdrawn"):
        usecases.update_offer(uow, offer["id"], {"title": "Neu"}, base_url="")
    usecases.withdraw_offer_by_id(uow, offer["id"], base_url="", by=ANNA)  # twice: no second entry
    assert audit_and_staged(uow) == (["offer.withdrawn"], 2)
    assert usecases.get_offer(uow, offer["id"]).title == "Deutschkurs A1"


def test_a_refused_example_change_writes_nothing(uow):  # noqa: ANN001
    example = examples.create_example(uow, EXAMPLE, by=ANNA)
    with pytest.raises(examples.UnknownActor):
        examples.update_example(uow, example.id, {"actor_id": "no-such-actor", "results": "60 Tandems."},
                                base_url="", by=ANNA)
    with pytest.raises(examples.ExampleNotFound, match="example no-such-example not found"):
        examples.publish_example(uow, "no-such-example", base_url="", by=ANNA)
    examples.publish_example(uow, example.id, base_url="", by=ANNA)
    examples.publish_example(uow, example.id, base_url="", by=ANNA)  # twice: no second entry
    examples.update_example(uow, example.id, dict(EXAMPLE), base_url="", by=ANNA)  # the same: no entry
    assert audit_and_staged(uow) == (["example.drafted", "example.published"], 1)
    assert examples.get_example(uow, example.id).body["results"] == "40 Tandems."


def test_an_update_waits_for_a_concurrent_writer_and_takes_the_next_version(postgres_url):  # noqa: ANN001
    """PostgreSQL: an editor's update while another transaction holds the offer's row. Read
    without a lock it would compute version 2 from the stale row and overwrite the other
    writer's version 2 (a lost update, and two events claiming version 2). The use case locks
    the row as it loads it, so it waits and writes version 3."""
    with migrated(postgres_url, "offers") as uow:
        offer_id = usecases.create_offer(uow, COURSE, base_url="")["id"]
        with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=False) as other:
            other.execute("UPDATE offers SET version = 2, title = 'Deutschkurs A2' WHERE id = %s", (offer_id,))
            with ThreadPoolExecutor(1) as pool:
                update = pool.submit(usecases.update_offer, uow, offer_id, {"title": "Deutschkurs B1"}, base_url="")
                _wait_until_blocked(other, "offers")
                other.commit()
                state = update.result(timeout=30)
        assert state["version"] == 3
        with uow.reading() as session:
            versions = sorted(decode(message.payload).version for message in session.exec(select(OutboxMessage)))
        assert versions == [1, 3]


def _wait_until_blocked(connection, table: str) -> None:  # noqa: ANN001
    """Until another backend waits for a lock held by `connection` (at most 20 s)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        waiting = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()").fetchone()[0]
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError(f"no transaction waited for the lock on {table}")
