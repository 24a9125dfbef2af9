"""The offers service's offer and good-example use cases on their own unit of work (SQLite and
PostgreSQL): a refused change writes nothing, neither the change nor its event nor an audit
entry, and an editor's change that changes nothing leaves no second entry. The routes' tests
cover the rest; concurrent writers: test_offers_concurrent_writes.py."""

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from npa.contracts.offer_body import OfferBody
from npa.infrastructure.editor_identity import Editor
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

