"""Revision 0002 on a database written by revision 0001, on SQLite and PostgreSQL: rows
written before keep working (item kinds, cadences, consent records of confirmed subscribers)."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from npa.infrastructure.database import make_engine
from tests.support.services import ROOT

MIGRATIONS = ROOT / "services" / "notifications" / "migrations"
CONFIRMED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def alembic(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def test_revision_0002_fills_what_older_rows_lack(database_url):  # noqa: ANN001
    command.upgrade(alembic(database_url), "0001")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        subscriptions = sa.table(
            "subscriptions", *(sa.column(name) for name in (
                "id", "version", "email", "email_key", "status", "frequency", "language", "examples", "new_actors",
                "created_at", "updated_at", "confirmed_at", "confirmation_requested_at")),
            sa.column("fields", sa.JSON), sa.column("regions", sa.JSON), sa.column("requested", sa.JSON))
        common = {"version": 1, "frequency": "daily", "language": "de", "examples": False, "new_actors": True,
                  "created_at": CONFIRMED, "updated_at": CONFIRMED, "fields": ["sprache"], "regions": ["03241"]}
        connection.execute(subscriptions.insert(), [
            {**common, "id": "active-1", "email": "a@example.org", "email_key": "a@example.org", "status": "active",
             "confirmed_at": CONFIRMED, "requested": None, "confirmation_requested_at": CONFIRMED},
            {**common, "id": "pending-1", "email": "p@example.org", "email_key": "p@example.org", "status": "pending",
             "confirmed_at": None, "requested": {"fields": ["arbeit"]}, "confirmation_requested_at": CONFIRMED},
        ])
        snapshots = sa.table("item_snapshots", sa.column("event_id"), sa.column("event_type"), sa.column("item_id"),
                             sa.column("item_version"), sa.column("data", sa.JSON), sa.column("received_at"))
        connection.execute(snapshots.insert(), [
            {"event_id": "e1", "event_type": "de.npa.offer.published", "item_id": "o1", "item_version": 1,
             "data": {"id": "o1"}, "received_at": CONFIRMED}])
    command.upgrade(alembic(database_url), "head")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT item_kind FROM item_snapshots")).scalar_one() == "offer"
        rows = dict(connection.execute(sa.text("SELECT id, cadence_since FROM subscriptions")).all())
        assert rows["active-1"] is not None and rows["pending-1"] is None
        assert connection.execute(sa.text(
            "SELECT request_received_at FROM subscriptions WHERE id = 'pending-1'")).scalar_one() is not None
        (consent,) = connection.execute(sa.text(
            "SELECT subscription_id, text_version, via, scope FROM consents")).all()
        assert consent[:3] == ("active-1", "unrecorded", "double_opt_in")
        assert "sprache" in str(consent[3]) and "new_actors" in str(consent[3])
    engine.dispose()
