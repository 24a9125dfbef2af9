"""Revisions 0005 and 0006 on a database written by revision 0004, on SQLite and PostgreSQL:
existing partners and their API keys stay; they start with no signing key (their unsigned bus
messages are refused until they register one, ADR 13); a key registered afterwards signs; the
downgrade gives the 0004 tables back with every partner."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from npa.contracts.signatures import SigningKey
from npa.infrastructure.database import alembic_config, make_engine
from npa.partner_client.client import deleted
from services.offers.models import Partner, PartnerKey
from services.offers.usecases import signing_keys
from tests.support.services import ROOT

MIGRATIONS = ROOT / "services" / "offers" / "migrations"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_existing_partners_come_along_and_register_a_key(database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0004")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.table("partners", *(sa.column(c) for c in ("id", "name", "actor_id", "active",
                                                                         "created_at"))).insert(),
                           [{"id": "p-old", "name": "Kursdatenbank", "actor_id": "a-1", "active": True,
                             "created_at": NOW}])
        connection.execute(sa.table("partner_keys", *(sa.column(c) for c in ("id", "partner_id", "key_hash",
                                                                             "created_at"))).insert(),
                           [{"id": "k-old", "partner_id": "p-old", "key_hash": "a" * 64, "created_at": NOW}])
    command.upgrade(config, "head")
    window = signing_keys.SignatureWindow()
    with Session(engine) as session:
        assert session.get(Partner, "p-old").name == "Kursdatenbank"
        assert session.get(PartnerKey, "k-old").partner_id == "p-old"
        assert signing_keys.keys_of(session, "p-old") == []
        unsigned = deleted("p-old", "kurs-1")
        assert "npasignature: missing" in signing_keys.check_signed(session, [unsigned], window)[unsigned.id]
        key = SigningKey.generate()
        signing_keys.register(session, "p-old", key.public_key)
        session.commit()
        signed = key.sign(deleted("p-old", "kurs-1"))
        assert signing_keys.check_signed(session, [signed], window) == {}
    engine.dispose()

    command.downgrade(config, "0004")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        assert "partner_signing_keys" not in tables and "partner_refusals" not in tables
        assert connection.execute(sa.text("SELECT id FROM partners")).scalars().all() == ["p-old"]
    engine.dispose()
