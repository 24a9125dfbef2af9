"""Rows by key on the driver's cursor (npa/infrastructure/lookup.py), on SQLite and PostgreSQL,
through the offers service's tables: a row reads back as SQLAlchemy reads it (JSON, dates,
aware times, booleans), the extra conditions hold, and the keys go as one parameter however
many there are — quotes, backslashes and umlauts included."""

from pathlib import Path

from sqlalchemy import insert, select
from sqlmodel import Session

from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.lookup import Lookup
from services.offers.models import Offer, Partner
from tests.integration.test_prepared_writes import AT, offer_row
from tests.support.plans import explain_analyze, plan_nodes

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "offers" / "migrations"
OFFERS, PARTNERS = Offer.__table__, Partner.__table__  # type: ignore[attr-defined]
ODD_IDS = ['ext-"quoted"', "ext-back\\slash", "ext-Übung-ß"]


def test_rows_read_back_as_sqlalchemy_reads_them(database_url: str) -> None:
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    rows = [offer_row(n, partner_id="partner-1" if n % 3 else "partner-2") for n in range(1200)]
    rows += [offer_row(2000 + n, external_id=external_id) for n, external_id in enumerate(ODD_IDS)]
    columns = tuple(rows[0])
    try:
        with Session(engine) as session:
            session.execute(insert(OFFERS), rows)
            session.execute(insert(PARTNERS), [{"id": "p-on", "name": "A", "actor_id": "a", "active": True,
                                                "created_at": AT},
                                               {"id": "p-off", "name": "B", "actor_id": "a", "active": False,
                                                "created_at": AT}])
            session.commit()
        lookup = Lookup.of(OFFERS, columns, "external_id", engine.dialect, equal=("partner_id",))
        wanted = [row["external_id"] for row in rows] + ["ext-unknown"]
        with Session(engine) as session:
            found = lookup.rows(session, wanted, "partner-1")
            expected = session.execute(select(*(OFFERS.c[name] for name in columns))
                                       .where(OFFERS.c.partner_id == "partner-1")).all()
            assert sorted(map(tuple, found)) == sorted(map(tuple, expected))
            assert len(found) == 800 + len(ODD_IDS)
            by_external_id = {row.external_id: row for row in found}
            assert by_external_id["ext-7"].body == offer_row(7)["body"] and by_external_id["ext-7"].created_at == AT
            assert by_external_id["ext-7"].ends_on == offer_row(7)["ends_on"]
            assert set(ODD_IDS) <= set(by_external_id)
            assert lookup.rows(session, [], "partner-1") == []
            assert lookup.rows(session, ODD_IDS[:1], "partner-2") == []
            active = Lookup.of(PARTNERS, ("id", "active"), "id", engine.dialect, true=("active",))
            assert active.rows(session, ["p-on", "p-off", "p-none"]) == [("p-on", True)]
    finally:
        engine.dispose()


def test_a_key_given_twice_finds_its_row_once(database_url: str) -> None:
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            session.execute(insert(OFFERS), [offer_row(1), offer_row(2)])
            session.commit()
            lookup = Lookup.of(OFFERS, ("id", "external_id"), "external_id", engine.dialect, for_update=True)
            assert sorted(row.external_id for row in lookup.rows(session, ["ext-2", "ext-1", "ext-2"])) == [
                "ext-1", "ext-2"]
    finally:
        engine.dispose()


def test_postgresql_probes_the_index_once_per_key_on_a_table_younger_than_its_statistics(postgres_url: str) -> None:
    """20,000 offers of one partner, never analysed (a first night's import): `external_id =
    ANY(keys) AND partner_id = …` read all 20,000 through the partner column of the unique index
    and filtered them; the lookup must touch only the rows of its keys."""
    run_migrations(MIGRATIONS, postgres_url)
    engine = make_engine(postgres_url)
    try:
        with Session(engine) as session:
            session.execute(insert(OFFERS), [offer_row(n, partner_id="partner-1") for n in range(20_000)])
            session.commit()
            lookup = Lookup.of(OFFERS, ("id", "version"), "external_id", engine.dialect, equal=("partner_id",),
                               for_update=True)
            keys = sorted([f"ext-{n}" for n in range(0, 20_000, 300)] + [f"new-{n}" for n in range(70)])
            plan = explain_analyze(session.connection().connection.cursor(), lookup.sql, (keys, "partner-1"))
            nodes = plan_nodes(plan)
            scans = [node for node in nodes if node.get("Relation Name")]
            assert [(node["Node Type"], node.get("Index Name"), node["Actual Loops"]) for node in scans] == [
                ("Index Scan", "uq_offers_partner_external", len(keys))]  # one probe per key
            assert not any(node.get("Rows Removed by Filter") or node.get("Rows Removed by Index Recheck")
                           for node in nodes)
            assert plan["Actual Rows"] == 67
            assert len(lookup.rows(session, keys, "partner-1")) == 67
    finally:
        engine.dispose()
