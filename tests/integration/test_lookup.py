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
