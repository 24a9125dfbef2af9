"""Two writers of one offer at once (SQLite and PostgreSQL): each write path loads the offer
locked (`lock_for_write`), so a writer that comes second waits for the first and takes the next
version. Read without the lock, it would decide from the stale row and overwrite the other's
change with the same version: a lost update, and two events claiming one version, of which the
consumers keep the first.

The other writer holds the offer's row in an open transaction (tests/support/concurrent_writer.py)."""

from collections.abc import Iterator

import pytest
from sqlmodel import select

from npa.contracts.envelope import decode
from npa.contracts.offer_body import OfferBody
from npa.infrastructure.outbox import OutboxMessage
from npa.infrastructure.unit_of_work import EngineUnitOfWork
from services.offers import usecases
from services.offers.models import KnownActor, Offer, Partner
from services.offers.usecases import partner_offers
from services.offers.usecases.partner_offers import PartnerChange
from tests.support.concurrent_writer import after_a_concurrent_write
from tests.support.unit_of_work import migrated

COURSE = {"title": "Deutschkurs A1", "fields": ["sprache"]}
MOVE_ON = "UPDATE offers SET version = 2, title = 'Deutschkurs A2' WHERE id = :id"  # the other writer


@pytest.fixture
def uow(database_url: str) -> Iterator[EngineUnitOfWork]:
    with migrated(database_url, "offers", KnownActor(id="actor-1", name="VHS Lüneburg", active=True),
                  Partner(id="partner-1", name="Kursportal", actor_id="actor-1")) as unit:
        yield unit


def _offer(uow: EngineUnitOfWork, offer_id: str) -> tuple[int, str, list[int]]:
    """Its version and title, and the versions of the events staged for it."""
    with uow.reading() as session:
        offer = session.get(Offer, offer_id)
        events = [decode(message.payload) for message in session.exec(select(OutboxMessage))]
        return offer.version, offer.title, sorted(event.version for event in events if event.subject == offer_id)


def test_an_editors_update_waits_and_takes_the_next_version(uow):  # noqa: ANN001
    offer_id = usecases.create_offer(uow, OfferBody.model_validate(COURSE), base_url="")["id"]
    state = after_a_concurrent_write(
        uow, MOVE_ON, {"id": offer_id}, lambda: usecases.update_offer(uow, offer_id, {"title": "Deutschkurs B1"}, base_url=""))
    assert state["version"] == 3
    assert _offer(uow, offer_id) == (3, "Deutschkurs B1", [1, 3])


def test_a_partner_batch_waits_and_takes_the_next_version(uow):  # noqa: ANN001
    """The path of the partner topic's batches and of import files."""
    partner_offers.import_partner_changes(
        uow, [PartnerChange("partner-1", "kurs-1", OfferBody.model_validate(COURSE))], base_url="")
    with uow.reading() as session:
        offer_id = session.exec(select(Offer.id)).one()
    change = PartnerChange("partner-1", "kurs-1", OfferBody.model_validate({**COURSE, "title": "Deutschkurs B1"}))
    [outcome] = after_a_concurrent_write(
        uow, MOVE_ON, {"id": offer_id}, lambda: partner_offers.import_partner_changes(uow, [change], base_url=""))
    assert outcome.result == partner_offers.UPDATED
    assert _offer(uow, offer_id) == (3, "Deutschkurs B1", [1, 3])


def test_a_partners_rest_upsert_waits_and_takes_the_next_version(uow):  # noqa: ANN001
    state, _ = partner_offers.upsert_partner_offer(uow, "partner-1", "kurs-1", OfferBody.model_validate(COURSE),
                                                   base_url="")
    body = OfferBody.model_validate({**COURSE, "title": "Deutschkurs B1"})
    state, result = after_a_concurrent_write(
        uow, MOVE_ON, {"id": state["id"]}, lambda: partner_offers.upsert_partner_offer(uow, "partner-1", "kurs-1", body, base_url=""))
    assert (state["version"], result) == (3, partner_offers.UPDATED)
    assert _offer(uow, state["id"]) == (3, "Deutschkurs B1", [1, 3])
