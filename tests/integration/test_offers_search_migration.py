"""Revisions 0004 and 0010 on databases written by the revision before, on SQLite and PostgreSQL: offers and
known actors stored before get their search columns and full-text index, the search finds
them, and the downgrade gives back the 0003 tables with every row."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from npa.contracts.offer_body import OfferBody
from npa.infrastructure.database import alembic_config, make_engine
from services.offers.domain.search import search_columns
from services.offers.usecases import search
from tests.support.services import ROOT

MIGRATIONS = ROOT / "services" / "offers" / "migrations"
CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
OLD_OFFERS = sa.table("offers", *(sa.column(name) for name in (
    "id", "version", "status", "title", "district", "ends_on", "partner_id", "external_id", "created_at",
    "updated_at")), sa.column("body", sa.JSON))
BODIES = {
    "o-1": {"title": "Deutschkurs A1 für Frauen mit Kinderbetreuung", "fields": ["sprache"], "district": "03403",
            "city": "Oldenburg (Oldb)", "postcode": "26121", "languages": ["de", "ar"], "childcare": True,
            "provider_actor_id": "a-1"},
    "o-2": {"title": "Bewerbungstraining", "fields": ["arbeit"], "district": None, "languages": ["de"]},
    "o-3": {"title": "Nähcafé Göttingen", "fields": ["teilhabe"], "district": "03159", "city": "Göttingen"},
}


def found(engine: sa.Engine, **params) -> list[str]:  # noqa: ANN003
    with Session(engine) as session:
        page = search.search_offers(session, search.parse_filters(**params), limit=50, base_url="")
    return sorted(item["id"] for item in page.items)


def test_revision_0004_indexes_the_offers_already_stored_and_goes_back(database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0003")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(OLD_OFFERS.insert(), [
            {"id": offer_id, "version": 1, "status": "withdrawn" if offer_id == "o-3" else "published",
             "title": body["title"], "district": body["district"], "ends_on": None, "partner_id": None,
             "external_id": None, "created_at": CREATED, "updated_at": CREATED,
             "body": OfferBody.model_validate(body).state()} for offer_id, body in BODIES.items()])
        connection.execute(sa.text("INSERT INTO known_actors (id, name, active) VALUES ('a-1', 'VHS Oldenburg', true)"))

    command.upgrade(config, "head")
    assert found(engine, q="Deutschkurs Frauen", childcare=True, region="03403") == ["o-1"]
    assert found(engine, q="VHS") == ["o-1"]  # the provider's name, backfilled too
    assert found(engine, language="Arabisch", city="Oldenburg") == ["o-1"]
    assert found(engine, region="03403") == ["o-1", "o-2"]  # o-2 is state-wide
    assert found(engine) == ["o-1", "o-2"]
    assert found(engine, q="Naehcafe", status="withdrawn") == ["o-3"]
    with engine.begin() as connection:  # later writes keep the index in step (triggers / generated column)
        connection.execute(sa.text("UPDATE offers SET status = 'withdrawn' WHERE id = 'o-1'"))
    assert found(engine, q="Deutschkurs") == []
    assert found(engine, q="Deutschkurs", status="withdrawn") == ["o-1"]

    command.downgrade(config, "0003")
    with engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("offers")}
        rows = dict(connection.execute(sa.select(OLD_OFFERS.c.id, OLD_OFFERS.c.title)).all())
        tables = set(sa.inspect(connection).get_table_names())
    assert not {"search_text", "search_vector"} & columns
    assert rows == {offer_id: body["title"] for offer_id, body in BODIES.items()}
    assert not any(table.startswith("offers_fts") for table in tables)
    command.upgrade(config, "head")
    assert found(engine, q="Bewerbungstraining") == ["o-2"]
    engine.dispose()


def test_revision_0010_moves_the_search_index_of_stored_offers_and_keeps_it_in_step(database_url):  # noqa: ANN001
    """Offers stored under 0009 are found after 0010 (PostgreSQL: copied into `offer_search`), and
    inserts, updates, deletes and a downgrade after it keep the index in step."""
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0009")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(OLD_OFFERS.insert(), [
            {"id": offer_id, "version": 1, "status": "published", "title": body["title"], "district": body["district"],
             "ends_on": None, "partner_id": None, "external_id": None, "created_at": CREATED, "updated_at": CREATED,
             "body": OfferBody.model_validate(body).state()} for offer_id, body in BODIES.items()])
        for offer_id, body in BODIES.items():
            connection.execute(sa.text("UPDATE offers SET search_text = :text WHERE id = :id"), {
                "id": offer_id, "text": search_columns(OfferBody.model_validate(body).state())["search_text"]})

    command.upgrade(config, "head")
    assert found(engine, q="Deutschkurs Frauen", childcare=True, region="03403") == ["o-1"]
    assert found(engine, q="Naehcafe") == ["o-3"]
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE offers SET status = 'withdrawn' WHERE id = 'o-3'"))
        connection.execute(sa.text("DELETE FROM offers WHERE id = 'o-2'"))
    assert found(engine) == ["o-1"]
    assert found(engine, q="Naehcafe", status="withdrawn") == ["o-3"]

    command.downgrade(config, "0009")
    with engine.connect() as connection:
        assert "search_vector" in {column["name"] for column in sa.inspect(connection).get_columns("offers")}
        assert "offer_search" not in sa.inspect(connection).get_table_names()
    command.upgrade(config, "head")
    assert found(engine, q="Deutschkurs") == ["o-1"]
    assert found(engine, q="Naehcafe", status="withdrawn") == ["o-3"]
    engine.dispose()
