"""The offers service's editor pages on real SQLite and PostgreSQL databases (no broker: the
actor is in the service's copy of the registry): only a signed-in editor gets in; partners are
created and their keys rotated and revoked, the plain key shown once and never recorded; an
offer is withdrawn with its event; every change is in the audit trail with the editor's name."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import Session, select

from npa.contracts.offer_body import OfferBody
from npa.infrastructure import audit
from npa.infrastructure.database import run_migrations
from npa.infrastructure.editor_session import COOKIE, Editor, EditorSessions
from npa.infrastructure.outbox import OutboxMessage
from services.offers.app import create_app
from services.offers.models import KnownActor, Offer, PartnerKey
from services.offers.usecases import offers as offer_usecases
from services.offers.usecases import partners as partner_usecases
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
    engine = offers.app.state.runtime.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        events = [row.event_type for row in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
        trail = [entry.action for entry in reversed(audit.recent(session, entity_id=example_id))]
    assert events == ["de.npa.example.published", "de.npa.example.updated", "de.npa.example.withdrawn"]
    assert trail == ["example.drafted", "example.published", "example.updated", "example.withdrawn"]
