"""The offers service's editor pages on real SQLite and PostgreSQL databases (no broker: the
actor is in the service's copy of the registry): only a signed-in editor gets in; partners are
created and their keys rotated and revoked, the plain key shown once and never recorded; an
offer is withdrawn with its event; partners' signing keys registered and revoked; every change is in the audit trail with the editor's name."""

from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session, select

from npa.contracts.offer_body import OfferBody
from npa.contracts.signatures import SigningKey, public_key_text
from npa.infrastructure import audit
from npa.infrastructure.database import run_migrations
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import COOKIE, EditorSessions
from npa.infrastructure.outbox import OutboxMessage
from npa.partner_client.client import deleted
from services.offers.app import create_app
from services.offers.models import KnownActor, Offer, Partner, PartnerKey
from services.offers.usecases import offers as offer_usecases
from services.offers.usecases import partners as partner_usecases
from services.offers.usecases import signing_keys
from tests.support.services import ROOT, service_settings

EDITOR = Editor("e-1", "bert", "Bert Redaktion")


@pytest.fixture
async def offers(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    run_migrations(ROOT / "services" / "offers" / "migrations", database_url)
    settings = service_settings("offers", database_url=database_url, bootstrap="127.0.0.1:9")
    app = create_app(settings)
    with Session(app.state.runtime.engine) as session:
        session.add(KnownActor(id="actor-1", name="VHS Lüneburg", active=True))
        session.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.public_base_url) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client
    app.state.runtime.engine.dispose()


def sign_in(client: httpx.AsyncClient) -> None:
    secret = client.app.state.runtime.settings.secret_key  # type: ignore[attr-defined]
    client.cookies.set(COOKIE, EditorSessions(secret).issue(EDITOR), domain="127.0.0.1")


async def test_every_editor_page_needs_a_session(offers):  # noqa: ANN001
    for path in ("/editor/examples", "/editor/examples/new", "/editor/offers", "/editor/partners", "/editor/offers-audit"):
        answer = await offers.get(path)
        assert answer.status_code == 303 and "/editor/sign-in?next=" in answer.headers["location"], path
    answer = await offers.post("/editor/partners", data={"name": "Kursdatenbank", "actor_id": "actor-1"})
    assert answer.status_code == 303
    expired = EditorSessions("another secret").issue(EDITOR)  # not signed with the platform's secret
    offers.cookies.set(COOKIE, expired, domain="127.0.0.1")
    assert (await offers.get("/editor/partners")).status_code == 303


async def test_partner_created_key_rotated_and_revoked_offer_withdrawn_all_in_the_audit_trail(offers):  # noqa: ANN001
    sign_in(offers)
    bad = await offers.post("/editor/partners", data={"name": "Kursdatenbank", "actor_id": "unknown"})
    assert bad.status_code == 422 and "unknown or inactive actor" in bad.text
    created = await offers.post("/editor/partners", data={"name": "Kursdatenbank", "actor_id": "actor-1"})
    assert created.status_code == 201
    first_key = created.text.split('<code id="new-key">')[1].split("</code>")[0]
    engine = offers.app.state.runtime.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        partner = partner_usecases.partner_for_key(session, first_key)
        assert partner is not None and partner.name == "Kursdatenbank"
    rotated = await offers.post(f"/editor/partners/{partner.id}/keys", data={"grace_hours": "0"})
    second_key = rotated.text.split('<code id="new-key">')[1].split("</code>")[0]
    assert rotated.status_code == 201 and second_key != first_key
    with Session(engine) as session:
        assert partner_usecases.partner_for_key(session, first_key) is None  # grace 0: the old key is done
        key_id = session.exec(select(PartnerKey.id).where(PartnerKey.revoked_at.is_(None),  # type: ignore[union-attr]
                                                          PartnerKey.expires_at.is_(None))).one()  # type: ignore[union-attr]
    assert (await offers.post(f"/editor/partners/{partner.id}/keys/{key_id}/revoke")).status_code == 303
    with Session(engine) as session:
        assert partner_usecases.partner_for_key(session, second_key) is None
    assert first_key not in (await offers.get(f"/editor/partners/{partner.id}")).text  # shown once only

    with Session(engine) as session:  # an offer to moderate
        body = OfferBody.model_validate({"title": "Deutschkurs mit Fehlern", "fields": ["sprache"]})
        offer, _decision = offer_usecases.save_offer(session, None, body, base_url="")
        session.commit()
        offer_id = offer.id
    listed = await offers.get("/editor/offers?q=Deutschkurs")
    assert "Deutschkurs mit Fehlern" in listed.text
    answer = await offers.post(f"/editor/offers/{offer_id}/withdraw", data={"reason": "doppelt eingetragen"})
    assert answer.status_code == 303
    assert (await offers.post(f"/editor/offers/{offer_id}/withdraw", data={})).status_code == 303  # twice: no-op
    assert (await offers.post("/editor/offers/no-such-offer/withdraw", data={})).status_code == 404
    with Session(engine) as session:
        assert session.get_one(Offer, offer_id).status == "withdrawn"
        events = [row.event_type for row in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
        trail = [(entry.action, entry.editor) for entry in reversed(audit.recent(session))]
        summaries = " ".join(entry.summary for entry in audit.recent(session))
    assert events == ["de.npa.offer.published", "de.npa.offer.withdrawn"]
    assert trail == [(action, "Bert Redaktion (bert)") for action in
                     ("partner.created", "partner.key_rotated", "partner.key_revoked", "offer.withdrawn")]
    assert first_key not in summaries and second_key not in summaries and "doppelt eingetragen" in summaries
    page = await offers.get("/editor/offers-audit")  # /editor/audit is the actors service's (one portal host)
    assert page.status_code == 200 and "partner.key_revoked" in page.text
    assert '/editor/offers-audit">Protokoll Angebote</a>' in page.text
    assert (await offers.get("/editor/audit")).status_code == 404


async def test_example_written_published_updated_and_withdrawn(offers):  # noqa: ANN001
    sign_in(offers)
    form = {"title": "Sprachpaten Lüneburg", "period": "seit 2023", "situation": "Viele Neuankommende.",
            "goals": "Deutsch im Alltag.", "measures": "Patenschaften.", "results": "40 Tandems.",
            "fields": ["sprache"], "district": "03355", "actor_id": "actor-1", "contact_email": "paten@lg.example"}
    bad = await offers.post("/editor/examples/new", data={**form, "contact_email": "keine Adresse"})
    assert bad.status_code == 422 and "Bitte prüfen" in bad.text
    created = await offers.post("/editor/examples/new", data=form)
    example_id = created.headers["location"].split("/editor/examples/")[1].split("?")[0]
    assert (await offers.post(f"/editor/examples/{example_id}/publish")).status_code == 303
    assert (await offers.post(f"/editor/examples/{example_id}", data={**form, "results": "60 Tandems."})
            ).status_code == 303
    assert (await offers.post(f"/editor/examples/{example_id}/withdraw")).status_code == 303
    assert (await offers.post("/editor/examples/no-such-example", data=form)).status_code == 404
    assert (await offers.post("/editor/examples/no-such-example", data={})).status_code == 404  # before the form
    assert (await offers.post(f"/editor/examples/{example_id}/archive")).status_code == 404
    refused = await offers.post(f"/editor/examples/{example_id}", data={**form, "actor_id": "unknown"})
    assert refused.status_code == 422 and "unknown or inactive actor" in refused.text and "Sprachpaten" in refused.text
    engine = offers.app.state.runtime.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        events = [row.event_type for row in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
        trail = [entry.action for entry in reversed(audit.recent(session, entity_id=example_id))]
    assert events == ["de.npa.example.published", "de.npa.example.updated", "de.npa.example.withdrawn"]
    assert trail == ["example.drafted", "example.published", "example.updated", "example.withdrawn"]


async def test_signing_keys_listed_registered_and_revoked_each_in_the_audit_trail(offers):  # noqa: ANN001
    """ADR 0013's public keys through the editor pages: a pasted PEM key is registered and makes
    the partner's signed messages acceptable; a revoked one refuses them; bad input changes nothing."""
    partner_path = "/editor/partners/p-1/signing-keys"
    assert (await offers.get(partner_path)).status_code == 303  # no session
    assert (await offers.post(partner_path, data={"public_key": "x" * 44})).status_code == 303
    sign_in(offers)
    created = await offers.post("/editor/partners", data={"name": "Kursdatenbank", "actor_id": "actor-1"})
    engine = offers.app.state.runtime.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        partner_id = session.exec(select(Partner.id).where(Partner.name == "Kursdatenbank")).one()
    assert f"/editor/partners/{partner_id}/signing-keys" in created.text  # linked from the partner's page
    path = f"/editor/partners/{partner_id}/signing-keys"
    empty = await offers.get(path)
    assert empty.status_code == 200 and "Noch kein Signierschlüssel" in empty.text

    key = SigningKey.generate()
    pem = Ed25519PublicKey.from_public_bytes(key.public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for bad in ("zu kurz", "A" * 60, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" + " " * 30):
        refused = await offers.post(path, data={"public_key": bad})
        assert refused.status_code == 422 and 'id="public_key-error"' in refused.text, bad
    assert (await offers.post("/editor/partners/unknown/signing-keys", data={"public_key": pem})).status_code == 404
    with Session(engine) as session:
        assert signing_keys.keys_of(session, partner_id) == []

    registered = await offers.post(path, data={"public_key": pem})
    assert registered.status_code == 303 and registered.headers["location"].endswith(f"{path}?saved={key.key_id}")
    listed = await offers.get(path)
    assert key.key_id in listed.text and public_key_text(key.public_key) in listed.text and "gültig" in listed.text
    again = await offers.post(path, data={"public_key": public_key_text(key.public_key)})
    assert again.status_code == 409 and "registered already" in again.text
    window = signing_keys.SignatureWindow()
    with Session(engine) as session:
        assert signing_keys.check_signed(session, [signed := key.sign(deleted(partner_id, "kurs-1"))], window) == {}

    revoked = await offers.post(f"{path}/{key.key_id}/revoke")
    assert revoked.status_code == 303
    assert (await offers.post(f"{path}/{key.key_id}/revoke")).status_code == 303  # twice: recorded once
    assert (await offers.post(f"{path}/unknown/revoke")).status_code == 404
    with Session(engine) as session:
        assert "was revoked" in signing_keys.check_signed(session, [signed], window)[signed.id]
        entries = [(entry.action, entry.summary) for entry in audit.recent(session, 50, entity_id=partner_id)]
    assert [action for action, _ in entries if "signing_key" in action] == \
        ["partner.signing_key_revoked", "partner.signing_key_registered"]
    assert all(key.key_id in summary for action, summary in entries if "signing_key" in action)
    assert "widerrufen am" in (await offers.get(path)).text
