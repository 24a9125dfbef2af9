"""The offers service's partner use cases on their own unit of work (SQLite and PostgreSQL): a
refused change writes nothing, neither the change nor its event nor an audit entry, and an
editor's revocation of a revoked key leaves no second entry. The routes' tests cover the rest."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from npa.contracts.offer_body import OfferBody
from npa.contracts.signatures import SigningKey
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.unit_of_work import EngineUnitOfWork
from services.offers.models import KnownActor, Offer, Partner, PartnerSigningKey
from services.offers.usecases import partner_offers, partners, signing_keys
from services.offers.usecases.offers import UnknownProvider
from tests.support.unit_of_work import audit_and_staged, count, migrated

ANNA = Editor("editor-1", "anna", "Anna Beispiel")
COURSE = {"title": "Deutschkurs A1", "fields": ["sprache"]}


@pytest.fixture
def uow(database_url: str) -> Iterator[EngineUnitOfWork]:
    with migrated(database_url, "offers", KnownActor(id="actor-1", name="VHS Lüneburg", active=True)) as unit:
        yield unit


def written(uow: EngineUnitOfWork) -> tuple[list[str], int, int, int, int]:
    """Audit actions, then how many partners, signing keys, offers and staged events there are."""
    actions, staged = audit_and_staged(uow)
    return actions, count(uow, Partner), count(uow, PartnerSigningKey), count(uow, Offer), staged


def test_refused_partner_and_key_changes_write_nothing(uow):  # noqa: ANN001
    with pytest.raises(partners.UnknownPartnerActor):
        partners.add_partner(uow, "Kursdatenbank", "actor-2", by=ANNA)
    partner, key, _ = partners.add_partner(uow, "Kursdatenbank", "actor-1", by=ANNA)
    with pytest.raises(partners.PartnerNotFound):
        partners.rotate_partner_keys(uow, "no-such-partner", timedelta(hours=1), by=ANNA)
    with pytest.raises(partners.PartnerKeyNotFound):
        partners.revoke_partner_key(uow, "no-such-partner", key.id, by=ANNA)
    partners.revoke_partner_key(uow, partner.id, key.id, by=ANNA)
    partners.revoke_partner_key(uow, partner.id, key.id, by=ANNA)  # revoked already: no second entry

    public_key = SigningKey.generate().public_key
    with pytest.raises(partners.PartnerNotFound):
        signing_keys.register_signing_key(uow, "no-such-partner", public_key, by=ANNA)
    registered = signing_keys.register_signing_key(uow, partner.id, public_key, by=ANNA)
    with pytest.raises(signing_keys.KeyTaken):
        signing_keys.register_signing_key(uow, partner.id, public_key, by=ANNA)
    signing_keys.revoke_signing_key(uow, partner.id, registered["key_id"], by=ANNA)
    signing_keys.revoke_signing_key(uow, partner.id, registered["key_id"], by=ANNA)

    assert written(uow) == (["partner.created", "partner.key_revoked", "partner.signing_key_registered",
                             "partner.signing_key_revoked"], 1, 1, 0, 0)
    listed, keys = partners.partner_keys(uow, partner.id)  # detached, still readable
    assert listed.name == "Kursdatenbank" and [item["usable"] for item in keys] == [False]


def test_a_refused_partner_offer_writes_neither_offer_nor_event(uow):  # noqa: ANN001
    partner, _, _ = partners.add_partner(uow, "Kursdatenbank", "actor-1")
    body = OfferBody.model_validate(COURSE)
    with pytest.raises(partners.PartnerNotFound):
        partner_offers.upsert_partner_offer(uow, "no-such-partner", "kurs-1", body, base_url="")
    with pytest.raises(UnknownProvider):
        partner_offers.upsert_partner_offer(uow, partner.id, "kurs-1",
                                            OfferBody.model_validate({**COURSE, "provider_actor_id": "actor-2"}),
                                            base_url="")
    with pytest.raises(partner_offers.PartnerOfferNotFound):
        partner_offers.withdraw_partner_offer(uow, partner.id, "kurs-1", base_url="")
    assert written(uow) == ([], 1, 0, 0, 0)

    state, result = partner_offers.upsert_partner_offer(uow, partner.id, "kurs-1", body, base_url="")
    assert (result, state["external_id"], state["provider_actor_id"]) == (partner_offers.CREATED, "kurs-1", "actor-1")
    assert partner_offers.upsert_partner_offer(uow, partner.id, "kurs-1", body, base_url="")[1] == "unchanged"
    partner_offers.withdraw_partner_offer(uow, partner.id, "kurs-1", base_url="")
    assert written(uow) == ([], 1, 0, 1, 2)
