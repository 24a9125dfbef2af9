"""The new report figures on hand-made data: new offers, languages, the state level, weakest
districts, monthly trends, recognition and thank-you totals. No database, no broker."""

from datetime import UTC, datetime, timedelta

from npa.contracts.reference import FIELDS
from services.reports import domain
from services.reports.domain import ActorInfo, Contribution, Facts, Offer, Transition

HANNOVER, DIEPHOLZ, BRAUNSCHWEIG, LUENEBURG = "03241", "03251", "03101", "03355"
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def test_new_offers_and_languages_per_cell() -> None:
    facts = Facts(offers=[
        Offer(HANNOVER, ("sprache",), languages=("de", "ar"), published_at=NOW - timedelta(days=3)),
        Offer(HANNOVER, ("sprache",), languages=("uk",), published_at=NOW - timedelta(days=31)),
        Offer(HANNOVER, ("sprache",), active=False, languages=("fa",), published_at=NOW),
    ], new_since=domain.new_since(NOW))
    counts = domain.district_coverage(facts).at(HANNOVER, "sprache")
    assert (counts.active_offers, counts.new_offers, sorted(counts.languages)) == (2, 1, ["ar", "de", "uk"])
    assert domain.district_coverage(Facts(offers=facts.offers)).at(HANNOVER, "sprache").new_offers == 0


def test_state_level_adds_statewide_items_once_and_counts_an_actor_once() -> None:
    facts = Facts(
        offers=[Offer(HANNOVER, ("sprache",), languages=("de",)), Offer(None, ("sprache",), languages=("ar",)),
                Offer("99999", ("sprache",))],
        actors=[domain.Actor((HANNOVER, BRAUNSCHWEIG), ("sprache",), is_multiplier=True), domain.Actor((), ("sprache",))],
    )
    row = domain.state_rows(domain.state_coverage(facts), "sprache")[0]
    assert (row["area"], row["active_offers"], row["statewide_offers"], row["languages"]) == \
        ("Niedersachsen", 2, 1, ["ar", "de"])
    assert (row["actors"], row["multipliers"]) == (2, 1)
    assert [r["field"] for r in domain.state_rows(domain.state_coverage(facts))] == list(FIELDS)


def test_weakest_districts_are_those_below_the_median_fewest_first() -> None:
    offers = [Offer(key, ("sprache",)) for key in domain.district_coverage(Facts()).areas for _ in range(2)]
    offers = [o for o in offers if o.district not in (HANNOVER, DIEPHOLZ)] + [Offer(DIEPHOLZ, ("sprache",))]
    weakest = domain.weakest_districts(domain.district_coverage(Facts(offers=offers)))
    assert [(w.district, w.active_offers, w.state_median, w.share_of_median) for w in weakest["sprache"]] == \
        [(HANNOVER, 0, 2.0, 0.0), (DIEPHOLZ, 1, 2.0, 0.5)]
    assert weakest["arbeit"] == []  # median 0: nobody is below it, the gap list names them all
    assert domain.state_medians(domain.district_coverage(Facts(offers=offers)))["sprache"] == 2.0
    assert len(domain.weakest_districts(domain.district_coverage(Facts(offers=offers)), limit=1)["sprache"]) == 1


def transition(entity: str, version: int, when: datetime, status: str = "published", district: str | None = HANNOVER,
               fields: tuple[str, ...] = ("sprache",), kind: str = domain.OFFER) -> Transition:
    return Transition(kind, entity, version, status, district, fields, when)


def test_month_bounds_follow_berlin_calendar_months() -> None:
    bounds = domain.month_bounds(datetime(2026, 1, 31, 23, 30, tzinfo=UTC), 3)  # already February in Berlin
    assert [label for label, _s, _e in bounds] == ["2025-12", "2026-01", "2026-02"]
    assert bounds[-1][1] == datetime(2026, 1, 31, 23, tzinfo=UTC)


def test_monthly_series_counts_active_new_and_ended_offers() -> None:
    jan, feb, mar = (datetime(2026, month, 10, tzinfo=UTC) for month in (1, 2, 3))
    history = [
        transition("o1", 1, jan), transition("o1", 2, feb, status="withdrawn"), transition("o1", 3, mar),
        transition("o2", 1, jan, fields=("sprache", "arbeit")), transition("o2", 2, feb, fields=("arbeit",)),
        transition("o3", 1, feb, district=None),
        transition("e1", 1, jan, kind=domain.EXAMPLE),
    ]
    series = domain.monthly_series(history, NOW, months=3)
    sprache = [(p.month, p.active_offers, p.new_offers, p.ended_offers, p.active_examples) for p in series["sprache"]]
    assert sprache == [("2026-01", 2, 2, 0, 1), ("2026-02", 1, 1, 2, 1), ("2026-03", 2, 0, 0, 1)]
    assert [p.active_offers for p in series[domain.ALL_FIELDS]] == [2, 2, 3]  # o2 counted once
    assert [p.ended_offers for p in series["arbeit"]] == [0, 0, 0]
    hannover = domain.monthly_series(history, NOW, months=3, area={HANNOVER})["sprache"]
    assert [p.active_offers for p in hannover] == [2, 0, 1]  # the state-wide o3 is not in Hannover


def test_a_stale_or_late_transition_does_not_rewrite_history() -> None:
    jan, feb = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)
    history = [transition("o1", 2, feb, status="expired"), transition("o1", 1, jan)]  # any order in the table
    assert [p.active_offers for p in domain.monthly_series(history, NOW, months=3)["sprache"]] == [1, 0, 0]


def test_most_active_actors_rank_by_published_items_and_leave_out_deactivated_ones() -> None:
    actors = {"a": ActorInfo("a", "Caritas", "freier_traeger", True, True), "b": ActorInfo("b", "Bürgerverein", "initiative", True, False),
              "c": ActorInfo("c", "Aufgelöst", "initiative", False, False)}
    contributions = [Contribution("a", 2, 1), Contribution("b", 1, 1), Contribution("b", examples_published=1),
                     Contribution("c", 9, 9), Contribution("x", 1, 0)]
    ranked = domain.most_active_actors(contributions, actors)
    assert [(r.actor_id, r.total_published, r.offers_active) for r in ranked] == [("b", 2, 1), ("a", 2, 1), ("x", 1, 0)]
    assert ranked[2].name is None and ranked[1].is_multiplier
    assert len(domain.most_active_actors(contributions, actors, limit=1)) == 1


def test_thank_you_totals() -> None:
    facts = Facts(offers=[Offer(HANNOVER, ("sprache",)), Offer(HANNOVER, ("arbeit",)), Offer(None, ("sprache",)),
                          Offer(LUENEBURG, ("sprache",), active=False), Offer("99999", ("sprache",))])
    actors = [ActorInfo("a", "A", "initiative", True, True), ActorInfo("b", "B", "kommune", True, False),
              ActorInfo("c", "C", "initiative", False, True)]
    totals = domain.thank_you_totals(facts, actors, year=2026, offers_this_year=4, examples_this_year=1)
    assert (totals.actors_active, totals.initiatives_active, totals.multipliers_active) == (2, 1, 1)
    assert (totals.offers_active, totals.districts_reached, totals.offers_published_this_year) == (3, 1, 4)
    assert set(domain.THANK_YOU_LABELS) == set(vars(totals))
    assert domain.year_start(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)).year == 2027
