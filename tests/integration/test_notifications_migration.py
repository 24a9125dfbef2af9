"""Revisions on databases written by the revision before, on SQLite and PostgreSQL: rows written
before keep working (0002: item kinds, cadences, consent records of confirmed subscribers; 0004:
active subscriptions filed for matching in SQL, item states marked live or not; 0006: the filing
for state-wide items; 0008: the item indexes keyed by the item alone)."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from npa.infrastructure.database import alembic_config, make_engine
from tests.support.services import ROOT

MIGRATIONS = ROOT / "services" / "notifications" / "migrations"
CONFIRMED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_revision_0002_fills_what_older_rows_lack(database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0001")
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
    command.upgrade(config, "head")
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


def test_revision_0004_files_existing_subscriptions_and_marks_live_items(database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0003")
    engine = make_engine(database_url)
    subscriptions = sa.table(
        "subscriptions", *(sa.column(name) for name in (
            "id", "version", "email", "email_key", "status", "frequency", "language", "examples", "new_actors",
            "created_at", "updated_at", "confirmed_at", "cadence_since")),
        sa.column("fields", sa.JSON), sa.column("regions", sa.JSON))
    common = {"version": 1, "language": "de", "created_at": CONFIRMED, "updated_at": CONFIRMED,
              "confirmed_at": CONFIRMED, "cadence_since": CONFIRMED}
    with engine.begin() as connection:
        connection.execute(subscriptions.insert(), [
            {**common, "id": "weser-ems", "email": "w@example.org", "email_key": "w@example.org", "status": "active",
             "frequency": "daily", "examples": True, "new_actors": False, "fields": ["sprache", "arbeit"],
             "regions": ["Weser-Ems", "03403", "03241"]},  # Oldenburg lies in Weser-Ems: filed once, under the region
            {**common, "id": "everywhere", "email": "e@example.org", "email_key": "e@example.org", "status": "active",
             "frequency": "immediate", "examples": False, "new_actors": True, "fields": ["wohnen"], "regions": []},
            {**common, "id": "pending", "email": "p@example.org", "email_key": "p@example.org", "status": "pending",
             "frequency": "immediate", "examples": True, "new_actors": True, "fields": ["wohnen"], "regions": []},
            {**common, "id": "cancelled", "email": "c@example.org", "email_key": "c@example.org",
             "status": "cancelled", "frequency": "immediate", "examples": True, "new_actors": True,
             "fields": ["wohnen"], "regions": []},
        ])
        snapshots = sa.table("item_snapshots", *(sa.column(name) for name in (
            "event_id", "event_type", "item_kind", "item_id", "item_version", "received_at")), sa.column("data", sa.JSON))
        connection.execute(snapshots.insert(), [
            {"event_id": event_id, "event_type": f"de.npa.{kind}.x", "item_kind": kind, "item_id": event_id,
             "item_version": 1, "received_at": CONFIRMED, "data": data}
            for event_id, kind, data in (("o-live", "offer", {"status": "published"}),
                                         ("o-gone", "offer", {"status": "withdrawn"}),
                                         ("a-live", "actor", {"active": True}), ("a-gone", "actor", {"active": False}),
                                         ("a-old", "actor", {}))])
    command.upgrade(config, "0005")
    with engine.connect() as connection:
        filed = set(connection.execute(sa.text(
            "SELECT subscription_id, audience, field, frequency, area FROM subscription_targets")).all())
        live = dict(connection.execute(sa.text("SELECT event_id, live FROM item_snapshots")).all())
    assert filed == {
        *{("weser-ems", audience, field, "daily", area) for audience in ("offer", "example")
          for field in ("sprache", "arbeit") for area in ("Weser-Ems", "03241")},
        ("everywhere", "offer", "wohnen", "immediate", "*"), ("everywhere", "actor", "wohnen", "immediate", "*")}
    assert {key: bool(value) for key, value in live.items()} == {
        "o-live": True, "o-gone": False, "a-live": True, "a-gone": False, "a-old": True}
    command.downgrade(config, "0003")
    with engine.connect() as connection:
        assert "subscription_targets" not in sa.inspect(connection).get_table_names()
        assert "live" not in {column["name"] for column in sa.inspect(connection).get_columns("item_snapshots")}
    engine.dispose()


def test_revision_0006_files_every_filed_subscription_for_state_wide_items(database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0005")
    engine = make_engine(database_url)
    subscriptions = sa.table("subscriptions", *(sa.column(name) for name in (
        "id", "version", "email", "email_key", "status", "frequency", "language", "examples", "new_actors",
        "created_at", "updated_at")), sa.column("fields", sa.JSON), sa.column("regions", sa.JSON))
    common = {"version": 1, "language": "de", "created_at": CONFIRMED, "updated_at": CONFIRMED, "status": "active"}
    with engine.begin() as connection:
        connection.execute(subscriptions.insert(), [
            {**common, "id": sid, "email": f"{sid}@example.org", "email_key": f"{sid}@example.org", "frequency": frequency,
             "examples": examples, "new_actors": False, "fields": [], "regions": []}
            for sid, frequency, examples in (("two-areas", "daily", True), ("everywhere", "immediate", False))])
        connection.execute(sa.text(
            "INSERT INTO subscription_targets (audience, field, frequency, area, subscription_id) VALUES "
            "('offer', 'sprache', 'daily', 'Weser-Ems', 'two-areas'), ('offer', 'sprache', 'daily', '03241', 'two-areas'),"
            "('offer', 'arbeit', 'daily', 'Weser-Ems', 'two-areas'), ('offer', 'arbeit', 'daily', '03241', 'two-areas'),"
            "('example', 'sprache', 'daily', 'Weser-Ems', 'two-areas'), ('offer', 'wohnen', 'immediate', '*', 'everywhere')"))
    command.upgrade(config, "head")
    with engine.connect() as connection:
        filed = set(connection.execute(sa.text(
            "SELECT subscription_id, audience, field, frequency FROM subscription_targets "
            "WHERE area = 'state-wide items'")).all())
        assert connection.execute(sa.text("SELECT count(*) FROM subscription_targets")).scalar_one() == 6 + 4
    assert filed == {("two-areas", "offer", "sprache", "daily"), ("two-areas", "offer", "arbeit", "daily"),
                     ("two-areas", "example", "sprache", "daily"), ("everywhere", "offer", "wohnen", "immediate")}
    command.downgrade(config, "0005")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM subscription_targets")).scalar_one() == 6
    engine.dispose()


def item_index_columns(engine: sa.Engine) -> dict[str, list[str]]:
    inspector = sa.inspect(engine)
    return {index["name"]: index["column_names"] for table in ("deliveries", "digest_items")
            for index in inspector.get_indexes(table) if index["name"].endswith("_item")}


def test_revision_0008_keys_the_item_indexes_by_the_item_alone(database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0007")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO deliveries (id, subscription_id, kind, event_id, event_type, item_id, status, attempts, "
            "created_at, next_attempt_at) VALUES ('d1', 's1', 'alert', 'e1', 't', 'i1', 'sent', 1, :at, :at), "
            "('d2', 's2', 'alert', 'e1', 't', 'i1', 'pending', 0, :at, :at)"), {"at": CONFIRMED})
    two_columns = ["item_id", "subscription_id"]
    assert item_index_columns(engine) == {"ix_deliveries_item": two_columns, "ix_digest_items_item": two_columns}
    command.upgrade(config, "head")
    assert item_index_columns(engine) == {"ix_deliveries_item": ["item_id"], "ix_digest_items_item": ["item_id"]}
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM deliveries WHERE item_id = 'i1'")).scalar_one() == 2
    command.downgrade(config, "0007")
    assert item_index_columns(engine) == {"ix_deliveries_item": two_columns, "ix_digest_items_item": two_columns}
    engine.dispose()
