"""The reports handlers on real, migrated SQLite and PostgreSQL databases (the bus is tested in integration)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.events import editors as editor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from npa.infrastructure.consumer import topics_of
from npa.infrastructure.database import make_engine, run_migrations
from services.reports import domain, handlers, queries
from services.reports.models import OfferFact

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "reports" / "migrations"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def apply(engine: Engine, event: CloudEvent) -> None:
    handler = handlers.HANDLERS[event.type]
    with Session(engine) as session:
        handler(session, [event])
        session.commit()


def offer_event(type_: str, version: int, status: str = "published", **changes: object) -> CloudEvent:
    body = {"title": "Deutschkurs", "fields": ["sprache"], "district": "03241", "costs": "kostenlos", **changes}
    state = offer_events.OfferState(id="offer-1", version=version, status=status, **body)
    return new_event(source=offer_events.SOURCE, type=type_, subject="offer-1", data=state.model_dump(mode="json"))


def test_an_offer_without_costs_or_languages_is_not_counted_free_nor_in_german(engine: Engine) -> None:
    apply(engine, offer_event(offer_events.PUBLISHED, 1, languages=["de"]))  # as stored before ADR 19
    assert queries.load_active_offers(engine)[0].free
    apply(engine, offer_event(offer_events.UPDATED, 2, costs=None, languages=None,
                              changed_fields=["costs", "languages"]))  # the corrective event of revision 0007
    with Session(engine) as session:
        fact = session.get(OfferFact, "offer-1")
        assert (fact.version, fact.costs, fact.free, fact.languages) == (2, None, False, [])
    active = queries.load_active_offers(engine)
    assert [(offer.free, offer.languages) for offer in active] == [(False, ())]


def test_every_event_type_of_the_consumed_topics_has_a_handler() -> None:
    assert set(topics_of(handlers.HANDLERS)) == {topics.OFFERS, topics.EXAMPLES, topics.ACTORS, topics.NOTIFICATIONS,
                                                 topics.EDITORS}
    for module in (offer_events, example_events, actor_events, notification_events, editor_events):
        assert set(module.TYPES) <= set(handlers.HANDLERS), module.__name__


def test_offer_row_follows_versions_and_keeps_first_publication_time(engine: Engine) -> None:
    published = offer_event(offer_events.PUBLISHED, 1)
    apply(engine, published)
    apply(engine, offer_event(offer_events.UPDATED, 2, women_only=True, languages=["de", "ar"]))
    with Session(engine) as session:
        fact = session.get(OfferFact, "offer-1")
        assert (fact.version, fact.status, fact.women_only, fact.free, fact.languages) == (2, "published", True, True, ["ar", "de"])
        assert fact.published_at == published.time
    assert [o.district for o in queries.load_active_offers(engine)] == ["03241"]

    apply(engine, offer_event(offer_events.WITHDRAWN, 3, status="withdrawn"))
    apply(engine, offer_event(offer_events.UPDATED, 2))  # stale copy: the row keeps version 3
    with Session(engine) as session:
        fact = session.get(OfferFact, "offer-1")
        assert (fact.version, fact.status) == (3, "withdrawn")
    assert queries.load_active_offers(engine) == []


def test_withdrawn_event_with_a_published_status_still_withdraws(engine: Engine) -> None:
    apply(engine, offer_event(offer_events.PUBLISHED, 1))
    apply(engine, offer_event(offer_events.EXPIRED, 2, status="published"))
    assert queries.load_active_offers(engine) == []


def test_actor_and_example_facts_follow_deactivation_and_withdrawal(engine: Engine) -> None:
    actor = actor_events.ActorState(id="a1", version=1, name="Verein", kind="verein", districts=["03241"],
                                    fields=["sprache"], is_multiplier=True)
    example = example_events.ExampleState(id="e1", version=1, status="published", title="Sprachcafé",
                                          fields=["sprache"], district="03241")
    apply(engine, new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject="a1",
                            data=actor.model_dump(mode="json")))
    apply(engine, new_event(source=example_events.SOURCE, type=example_events.PUBLISHED, subject="e1",
                            data=example.model_dump(mode="json")))
    facts = queries.load_facts(engine)
    assert [(a.districts, a.is_multiplier) for a in facts.actors] == [(("03241",), True)]
    assert [e.district for e in facts.examples] == ["03241"]

    apply(engine, new_event(source=actor_events.SOURCE, type=actor_events.DEACTIVATED, subject="a1",
                            data=actor.model_copy(update={"version": 2}).model_dump(mode="json")))
    apply(engine, new_event(source=example_events.SOURCE, type=example_events.WITHDRAWN, subject="e1",
                            data=example.model_copy(update={"version": 2, "status": "withdrawn"}).model_dump(mode="json")))
    facts = queries.load_facts(engine)
    assert (facts.actors, facts.examples) == ([], [])


def test_notifications_are_counted_per_field_and_subscriptions_tracked(engine: Engine) -> None:
    def outcome(type_: str, delivery: str, fields: list[str]) -> CloudEvent:
        data = notification_events.DeliveryOutcome(id=delivery, subscription_id="s1", event_id="x",
                                                   event_type=offer_events.PUBLISHED, item_id="offer-1", fields=fields)
        return new_event(source=notification_events.SOURCE, type=type_, subject=delivery, data=data.model_dump(mode="json"))

    def subscription(type_: str, version: int, fields: list[str]) -> CloudEvent:
        data = notification_events.SubscriptionChange(id="s1", version=version, fields=fields, regions=[],
                                                      frequency="immediate", language="de")
        return new_event(source=notification_events.SOURCE, type=type_, subject="s1", data=data.model_dump(mode="json"))

    apply(engine, outcome(notification_events.SENT, "d1", ["sprache", "arbeit", "unbekannt"]))
    apply(engine, outcome(notification_events.SENT, "d2", ["sprache"]))
    apply(engine, outcome(notification_events.FAILED, "d3", ["arbeit"]))
    apply(engine, subscription(notification_events.SUBSCRIPTION_CONFIRMED, 1, ["sprache"]))
    figures = {f.field: (f.sent, f.failed, f.active_subscriptions) for f in queries.notification_figures(engine)}
    assert figures == {"sprache": (2, 0, 1), "arbeit": (1, 1, 0), "engagement": (0, 0, 0),
                       "wohnen": (0, 0, 0), "teilhabe": (0, 0, 0)}

    apply(engine, subscription(notification_events.SUBSCRIPTION_CANCELLED, 2, ["sprache"]))
    assert all(f.active_subscriptions == 0 for f in queries.notification_figures(engine))
    as_of = queries.data_as_of(engine)
    assert as_of is not None and datetime.now(UTC) - as_of < timedelta(minutes=1)


def test_every_applied_offer_and_example_event_is_kept_as_a_transition_once(engine: Engine) -> None:
    published = offer_event(offer_events.PUBLISHED, 1)
    apply(engine, published)
    apply(engine, offer_event(offer_events.UPDATED, 2, fields=["sprache", "arbeit"]))
    apply(engine, offer_event(offer_events.WITHDRAWN, 3, status="published"))
    handler = handlers.HANDLERS[published.type]
    with Session(engine) as session:  # a replay of the same event id adds nothing
        session.get(OfferFact, "offer-1").version = 0
        handler(session, [published])
        session.commit()
    example = example_events.ExampleState(id="e1", version=1, status="published", title="Sprachcafé", fields=["sprache"],
                                          page_url="http://offers.test/examples/e1")
    apply(engine, new_event(source=example_events.SOURCE, type=example_events.PUBLISHED, subject="e1",
                            data=example.model_dump(mode="json")))
    with Session(engine) as session:
        history = sorted(queries.transitions(session), key=lambda t: (t.kind, t.version))
        assert [(t.kind, t.version, t.status, t.fields) for t in history] == [
            ("example", 1, "published", ("sprache",)),
            ("offer", 1, "published", ("sprache",)), ("offer", 2, "published", ("arbeit", "sprache")),
            ("offer", 3, "withdrawn", ("sprache",))]
        assert history[1].occurred_at == published.time
        assert [e.page_url for e in queries.good_examples(session)] == ["http://offers.test/examples/e1"]


def test_notification_counts_keep_the_newest_event_time_in_any_order(engine: Engine) -> None:
    """A replay interleaves partitions differently; the rebuilt row must carry the same time."""
    def sent(delivery: str, minutes: int) -> CloudEvent:
        data = notification_events.DeliveryOutcome(id=delivery, subscription_id="s1", event_id="x", item_id="o",
                                                   event_type=offer_events.PUBLISHED, fields=["sprache"])
        return CloudEvent(id=delivery, source=notification_events.SOURCE, type=notification_events.SENT, subject=delivery,
                          time=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes), data=data.model_dump(mode="json"))

    for event in (sent("d1", 30), sent("d2", 10)):
        apply(engine, event)
    assert queries.data_as_of(engine) == datetime(2026, 3, 1, 0, 30, tzinfo=UTC)


def test_a_batch_is_folded_in_order_and_each_row_written_once(engine: Engine) -> None:
    """One handler call with an entity's whole life, a stale copy and a second offer: the same
    rows and counts as applying the events one by one."""
    events = [offer_event(offer_events.PUBLISHED, 1), offer_event(offer_events.UPDATED, 2, fields=["arbeit"]),
              offer_event(offer_events.UPDATED, 1), offer_event(offer_events.WITHDRAWN, 3, status="withdrawn")]
    second = offer_events.OfferState(id="offer-2", version=1, status="published", title="Jobcafé", fields=["arbeit"],
                                     district="03241", languages=["uk"])
    events.append(new_event(source=offer_events.SOURCE, type=offer_events.PUBLISHED, subject="offer-2",
                            data=second.model_dump(mode="json")))
    with Session(engine) as session:
        handlers.HANDLERS[offer_events.PUBLISHED](session, events)
        session.commit()
    with Session(engine) as session:
        assert [(t.entity_id, t.version) for t in sorted(queries.transitions(session), key=lambda t: (t.entity_id, t.version))] \
            == [("offer-1", 1), ("offer-1", 2), ("offer-1", 3), ("offer-2", 1)]
        levels = queries.coverage(session, queries.utc_now())
    facts = queries.load_facts(engine)
    assert [(o.district, o.fields) for o in facts.offers] == [("03241", ("arbeit",))]
    assert domain.district_rows(levels.by_district) == domain.district_rows(domain.district_coverage(facts))
    assert levels.by_district.at("03241", "arbeit").languages == {"uk"}


def test_a_mixed_notifications_batch_counts_alerts_and_subscriptions(engine: Engine) -> None:
    def outcome(type_: str, delivery: str) -> CloudEvent:
        data = notification_events.DeliveryOutcome(id=delivery, subscription_id="s1", event_id="x", item_id="o",
                                                   event_type=offer_events.PUBLISHED, fields=["sprache"])
        return new_event(source=notification_events.SOURCE, type=type_, subject=delivery, data=data.model_dump(mode="json"))

    def subscription(type_: str, id_: str, version: int) -> CloudEvent:
        data = notification_events.SubscriptionChange(id=id_, version=version, fields=[], regions=[],
                                                      frequency="daily", language="de")
        return new_event(source=notification_events.SOURCE, type=type_, subject=id_, data=data.model_dump(mode="json"))

    batch = [outcome(notification_events.SENT, "d1"), subscription(notification_events.SUBSCRIPTION_CONFIRMED, "s1", 1),
             outcome(notification_events.FAILED, "d2"), subscription(notification_events.SUBSCRIPTION_CONFIRMED, "s2", 1),
             subscription(notification_events.SUBSCRIPTION_CANCELLED, "s1", 2), outcome(notification_events.SENT, "d3")]
    with Session(engine) as session:
        handlers.HANDLERS[notification_events.SENT](session, batch)
        session.commit()
    figures = {f.field: (f.sent, f.failed, f.active_subscriptions) for f in queries.notification_figures(engine)}
    assert figures["sprache"] == (2, 1, 1) and figures["wohnen"] == (0, 0, 1)  # s2 wants every field
