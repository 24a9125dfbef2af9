"""Revision 0004 brings existing read-model rows into the counted read models (and drops them
on downgrade), on SQLite and PostgreSQL: after the upgrade every report equals what the
counting rules give over the stored facts and history; the consumer then goes on from there.
Also: the retention sweep of the reports service."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import offers as offer_events
from npa.infrastructure.database import alembic_config, make_engine
from services.reports import domain, handlers, queries, snapshot, workers
from services.reports.app import create_app
from services.reports.models import NewOfferCount, StateTransition
from tests.support.services import service_settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "reports" / "migrations"
NOW = datetime.now(UTC).replace(microsecond=0)
HANNOVER, DIEPHOLZ, GOETTINGEN = "03241", "03251", "03159"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def offer(id_: str, district: str | None, fields: list[str], status: str = "published", published: float | None = 90,
          updated: float = 40, **extra: object) -> dict:
    return {"id": id_, "version": 2, "status": status, "title": id_, "district": district, "fields": fields,
            "women_only": False, "childcare": False, "costs": "kostenlos", "free": True, "languages": ["de"],
            "provider_actor_id": "a-1", "published_at": ago(published) if published is not None else None,
            "updated_at": ago(updated), **extra}


OFFERS = [
    offer("o-1", HANNOVER, ["sprache", "arbeit"], languages=["ar", "de"], women_only=True, published=10, updated=10),
    offer("o-2", DIEPHOLZ, ["sprache"], childcare=True),
    offer("o-3", None, ["wohnen"], provider_actor_id="a-2"),
    offer("o-4", HANNOVER, ["sprache"], status="withdrawn", updated=20),
    offer("o-5", "99999", ["sprache"]),  # unknown district: counted nowhere but in the totals
    offer("o-6", GOETTINGEN, ["teilhabe"], published=400, updated=400),  # predates the history (revision 0002)
]
HISTORY = [  # (event id, offer id, version, status, district, fields, days ago)
    ("t-1", "o-1", 1, "published", HANNOVER, ["sprache"], 10), ("t-2", "o-1", 2, "published", HANNOVER,
                                                               ["arbeit", "sprache"], 5),
    ("t-3", "o-2", 1, "published", DIEPHOLZ, ["sprache"], 90), ("t-4", "o-2", 2, "published", DIEPHOLZ, ["sprache"], 40),
    ("t-5", "o-3", 1, "published", None, ["wohnen"], 90), ("t-6", "o-3", 2, "published", None, ["wohnen"], 40),
    ("t-7", "o-4", 1, "published", HANNOVER, ["sprache"], 90), ("t-8", "o-4", 2, "withdrawn", HANNOVER, ["sprache"], 20),
    ("t-9", "o-5", 1, "published", "99999", ["sprache"], 90), ("t-10", "o-5", 2, "published", "99999", ["sprache"], 40),
]
ACTORS = [
    {"id": "a-1", "version": 1, "name": "Caritas", "kind": "freier_traeger", "districts": [HANNOVER, DIEPHOLZ],
     "fields": ["sprache"], "is_multiplier": True, "active": True, "updated_at": ago(50)},
    {"id": "a-2", "version": 1, "name": "Bürgerinitiative", "kind": "initiative", "districts": [], "fields": ["wohnen"],
     "is_multiplier": False, "active": True, "updated_at": ago(50)},
]
EXAMPLES = [{"id": "e-1", "version": 1, "status": "published", "title": "Sprachcafé", "district": HANNOVER,
             "fields": ["sprache"], "actor_id": "a-1", "page_url": "http://offers.test/examples/e-1",
             "published_at": ago(30), "updated_at": ago(30)}]
SUBSCRIPTIONS = [
    {"id": "s-1", "version": 1, "fields": ["sprache"], "regions": [], "frequency": "daily", "language": "de",
     "active": True, "updated_at": ago(3)},
    {"id": "s-2", "version": 1, "fields": [], "regions": [], "frequency": "weekly", "language": "de", "active": True,
     "updated_at": ago(2)},
    {"id": "s-3", "version": 2, "fields": ["arbeit"], "regions": [], "frequency": "daily", "language": "de",
     "active": False, "updated_at": ago(1)},
]


def table(name: str, *columns: str) -> sa.TableClause:
    typed = {"fields": sa.JSON, "languages": sa.JSON, "districts": sa.JSON, "regions": sa.JSON}
    return sa.table(name, *(sa.column(column, typed.get(column)) for column in columns))


def fill_0003(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        for name, rows in (("offer_facts", OFFERS), ("actor_facts", ACTORS), ("example_facts", EXAMPLES),
                           ("subscription_facts", SUBSCRIPTIONS)):
            connection.execute(table(name, *rows[0]).insert(), rows)
        connection.execute(table("notification_counts", "field", "sent", "failed", "updated_at").insert(),
                           [{"field": "sprache", "sent": 7, "failed": 1, "updated_at": ago(1)}])
        connection.execute(table("state_transitions", "event_id", "entity_kind", "entity_id", "version", "event_type",
                                 "status", "district", "fields", "occurred_at").insert(),
                           [{"event_id": e, "entity_kind": "offer", "entity_id": o, "version": v,
                             "event_type": offer_events.UPDATED, "status": s, "district": d, "fields": f,
                             "occurred_at": ago(days)} for e, o, v, s, d, f, days in HISTORY])
    engine.dispose()


async def get(client: httpx.AsyncClient, path: str, **params: object) -> dict:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_existing_rows_reach_the_counted_read_models_and_back(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The expected figures are computed at NOW (taken when the module loads): the reports must be
    # read at the same instant, or a run crossing midnight of a month's last day in Berlin
    # compares two different twelve-month windows.
    monkeypatch.setattr(queries, "utc_now", lambda: NOW)
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0003")
    fill_0003(database_url)
    command.upgrade(config, "0004")

    app = create_app(service_settings("reports", database_url=database_url, bootstrap="127.0.0.1:1"))
    engine = app.state.runtime.engine
    facts = snapshot.load_facts(engine, NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reports.test") as client:
        district = await get(client, "/api/v1/reports/coverage", level="district")
        assert district["rows"] == domain.district_rows(domain.district_coverage(facts))
        assert district["statewide"] == domain.statewide_block(domain.district_coverage(facts))
        state = await get(client, "/api/v1/reports/coverage", level="state")
        assert state["rows"] == domain.state_rows(domain.state_coverage(facts))
        hannover = next(r for r in district["rows"] if (r["district"], r["field"]) == (HANNOVER, "sprache"))
        assert (hannover["active_offers"], hannover["new_offers"], hannover["languages"]) == (1, 1, ["ar", "de"])
        assert (hannover["actors"], hannover["examples"]) == (1, 1)
        arl = await get(client, "/api/v1/reports/coverage", level="arl", field="sprache")
        leine_weser = next(r for r in arl["rows"] if r["arl_region"] == "Leine-Weser")
        assert (leine_weser["active_offers"], leine_weser["actors"]) == (2, 1)  # one actor in two of its districts

        recognition = await get(client, "/api/v1/reports/recognition")
        assert [(a["actor_id"], a["offers_published"], a["offers_active"], a["examples_published"])
                for a in recognition["actors"]] == [("a-1", 5, 4, 1), ("a-2", 1, 1, 0)]
        totals = {row["figure"]: row["value"] for row in recognition["totals"]}
        assert (totals["actors_active"], totals["initiatives_active"], totals["offers_active"],
                totals["districts_reached"]) == (2, 1, 4, 3)
        figures = {row["field"]: row for row in (await get(client, "/api/v1/reports/notifications"))["fields"]}
        assert (figures["sprache"]["sent"], figures["sprache"]["active_subscriptions"]) == (7, 2)
        assert figures["arbeit"]["active_subscriptions"] == 1  # s-2 wants every field, s-3 is cancelled

        with Session(engine) as session:
            history = snapshot.transitions(session)
        pre_history = [domain.Transition("offer", "o-6", 2, "published", GOETTINGEN, ("teilhabe",), ago(400)),
                       domain.Transition("example", "e-1", 1, "published", HANNOVER, ("sprache",), ago(30))]
        expected = domain.monthly_series([*history, *pre_history], NOW)
        trends = await get(client, "/api/v1/reports/trends")
        assert trends["rows"] == [point.__dict__ for slug in expected for point in expected[slug]]
        by_month = {(r["month"], r["field"]): r for r in trends["rows"]}
        assert by_month[(domain.month_label(NOW), "teilhabe")]["active_offers"] == 1  # the old offer, from its last event
        assert sum(r["new_offers"] for r in trends["rows"] if r["field"] == "teilhabe") == 0

        # The consumer goes on from the backfilled counts: withdrawing o-2 empties Diepholz.
        withdrawn = CloudEvent(id="x-1", source=offer_events.SOURCE, type=offer_events.WITHDRAWN, subject="o-2", time=NOW,
                               data={**offer_events.OfferState(id="o-2", version=3, status="withdrawn", title="o-2",
                                                               fields=["sprache"], district=DIEPHOLZ).model_dump(mode="json")})
        with Session(engine) as session:
            handlers.HANDLERS[withdrawn.type](session, [withdrawn])
            session.commit()
        after = await get(client, "/api/v1/reports/coverage", level="district", field="sprache")
        assert next(r for r in after["rows"] if r["district"] == DIEPHOLZ)["active_offers"] == 0
        assert after["rows"] == domain.district_rows(domain.district_coverage(snapshot.load_facts(engine, NOW)), "sprache")
    engine.dispose()

    command.downgrade(config, "0003")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        assert not names & {"coverage_counts", "monthly_trends", "new_offer_counts", "actor_contributions"}
        assert "active_subscriptions" not in {c["name"] for c in sa.inspect(connection).get_columns("notification_counts")}
        assert connection.execute(sa.text("SELECT count(*) FROM state_transitions")).scalar() == len(HISTORY) + 1
        assert connection.execute(sa.text("SELECT count(*) FROM offer_facts")).scalar() == len(OFFERS)
    engine.dispose()
    command.upgrade(config, "head")


def test_retention_prunes_old_history_and_past_days_only(database_url: str) -> None:
    command.upgrade(alembic_config(MIGRATIONS, database_url), "head")
    engine = make_engine(database_url)
    with Session(engine) as session:
        for event_id, days in (("old", 500), ("recent", 10)):
            session.add(StateTransition(event_id=event_id, entity_kind="offer", entity_id="o", version=1,
                                        event_type=offer_events.PUBLISHED, status="published", fields=["sprache"],
                                        occurred_at=ago(days)))
        for days in (60, 31, 5):
            session.add(NewOfferCount(area=HANNOVER, field="sprache", day=ago(days).date(), active_offers=1))
        session.commit()
    assert workers.prune(engine, workers.Retention(history_days=400)) == 2
    with Session(engine) as session:
        assert list(session.exec(select(StateTransition.event_id)).all()) == ["recent"]
        assert sorted(session.exec(select(NewOfferCount.day)).all()) == [ago(31).date(), ago(5).date()]
    engine.dispose()
