"""Revision 0007 on offers stored by revision 0004 (when a missing `costs` was stored as
"kostenlos" and missing `languages` as ["de"]), on SQLite and PostgreSQL: the old defaults
become "not stated", published offers get version + 1 and a corrective `de.npa.offer.updated`
in the outbox (so reports and notifications follow), the "free" search facet follows, and the
downgrade writes the defaults back (ADR 19)."""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from npa.contracts.envelope import decode
from npa.contracts.events import offers as offer_events
from npa.infrastructure.database import alembic_config, make_engine
from services.offers.domain import search as search_domain
from services.offers.usecases import search
from tests.support.services import ROOT

MIGRATIONS = ROOT / "services" / "offers" / "migrations"
CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
OFFERS = sa.table("offers", *(sa.column(name) for name in (
    "id", "version", "status", "title", "district", "ends_on", "partner_id", "external_id", "created_at",
    "updated_at", "search_text")), sa.column("body", sa.JSON))
BASE = {"summary": "", "description": "", "fields": ["sprache"], "district": "03241", "postcode": None,
        "city": None, "address": None, "format": "vor_ort", "target_groups": ["alle"], "women_only": False,
        "childcare": False, "starts_on": None, "ends_on": None, "schedule": None, "registration_url": None,
        "contact_email": None, "accessible": "unbekannt", "provider_actor_id": None}
STORED = {  # id: (status, version, costs, languages) as revision 0004's code stored them
    "o-defaulted": ("published", 3, "kostenlos", ["de"]),
    "o-stated": ("published", 1, "5 € pro Termin", ["ar", "de"]),
    "o-costs-only": ("published", 1, "kostenlos", ["uk"]),
    "o-withdrawn": ("withdrawn", 2, "kostenlos", ["de"]),
}


def found(engine: sa.Engine, **params) -> list[str]:  # noqa: ANN003
    with Session(engine) as session:
        page = search.search_offers(session, search.parse_filters(**params), limit=50, base_url="")
    return sorted(item["id"] for item in page.items)


def free_as_stored(engine: sa.Engine) -> list[str]:
    """Published offers whose stored search tokens say "free": what the search of revision 0004
    answered for free=True (read from the column; today's search needs tables of later revisions)."""
    token = search_domain.facet(search_domain.FREE, "1")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(OFFERS.c.id, OFFERS.c.status, OFFERS.c.search_text)).all()
    return sorted(row.id for row in rows if row.status == "published" and token in row.search_text.split())


def stored(engine: sa.Engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(OFFERS.c.id, OFFERS.c.version, OFFERS.c.body)).all()
    return {row.id: (row.version, row.body["costs"], row.body["languages"]) for row in rows}


def test_revision_0007_turns_old_defaults_into_not_stated_and_tells_the_consumers(database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0004")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        rows = []
        for offer_id, (status, version, costs, languages) in STORED.items():
            body = {**BASE, "title": f"Angebot {offer_id}", "costs": costs, "languages": languages}
            rows.append({"id": offer_id, "version": version, "status": status, "title": body["title"],
                         "district": "03241", "ends_on": None, "partner_id": "p-1", "external_id": offer_id,
                         "created_at": CREATED, "updated_at": CREATED, "body": body,
                         "search_text": search_domain.search_columns(body)["search_text"]})
        connection.execute(OFFERS.insert(), rows)
    assert free_as_stored(engine) == ["o-costs-only", "o-defaulted"]  # the wrong answer of before

    command.upgrade(config, "head")
    assert stored(engine) == {
        "o-defaulted": (4, None, None),
        "o-stated": (1, "5 € pro Termin", ["ar", "de"]),
        "o-costs-only": (2, None, ["uk"]),
        "o-withdrawn": (2, None, None),  # fixed, but no event: nobody counts or mails a withdrawn offer
    }
    assert found(engine, free=True) == []
    assert found(engine, language="Deutsch") == ["o-stated"]
    with engine.connect() as connection:
        outbox = connection.execute(sa.text(
            "SELECT topic, key, event_type, payload FROM outbox WHERE published_at IS NULL ORDER BY id")).all()
    events = {row.key: (row.topic, row.event_type, decode(bytes(row.payload))) for row in outbox}
    assert sorted(events) == ["o-costs-only", "o-defaulted"]
    for key, (topic, event_type, event) in events.items():
        assert (topic, event_type, event.subject) == ("npa.offers.v1", offer_events.UPDATED, key)
        state = offer_events.OfferState.model_validate(event.data)  # the published contract
        assert state.version == stored(engine)[key][0] and state.costs is None
        assert state.url and state.url.endswith(f"/offers/{key}")
    assert events["o-defaulted"][2].data["changed_fields"] == ["costs", "languages"]
    assert events["o-costs-only"][2].data["changed_fields"] == ["costs"]
    assert events["o-costs-only"][2].data["languages"] == ["uk"]
    assert "@" not in json.dumps([event.data for _t, _e, event in events.values()])

    command.downgrade(config, "0004")
    assert {key: value[1:] for key, value in stored(engine).items()} == {
        offer_id: (costs if offer_id != "o-stated" else "5 € pro Termin", languages if offer_id != "o-costs-only"
                   else ["uk"]) for offer_id, (_s, _v, costs, languages) in STORED.items()}
    engine.dispose()
