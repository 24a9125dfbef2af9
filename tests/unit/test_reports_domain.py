"""The reports service's counting rules on hand-made data: no database, no broker."""

import csv
import io

import pytest

from npa.contracts.events import offers as offer_events
from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from services.reports import domain, export
from services.reports.domain import Actor, Example, Facts, Offer

HANNOVER, DIEPHOLZ, BRAUNSCHWEIG = "03241", "03251", "03101"  # Leine-Weser, Leine-Weser, Braunschweig


def test_district_coverage_has_every_district_and_field_with_zeros() -> None:
    coverage = domain.district_coverage(Facts())
    rows = domain.district_rows(coverage)
    assert len(rows) == 45 * 5
    assert {(row["district"], row["field"]) for row in rows} == {(d, f) for d in districts() for f in FIELDS}
    assert all(row["active_offers"] == 0 and row["actors"] == 0 for row in rows)
    assert rows[0] == {
        "district": BRAUNSCHWEIG, "district_name": "Braunschweig", "arl_region": "Braunschweig", "field": "sprache",
        "active_offers": 0, "new_offers": 0, "women_only_offers": 0, "childcare_offers": 0, "free_offers": 0,
        "languages": [], "actors": 0, "multipliers": 0, "examples": 0,
    }


def test_an_active_offer_counts_in_its_district_for_each_of_its_fields() -> None:
    offer = Offer(HANNOVER, ("sprache", "arbeit"), women_only=True, childcare=True, free=True)
    coverage = domain.district_coverage(Facts(offers=[offer]))
    for slug in ("sprache", "arbeit"):
        counts = coverage.at(HANNOVER, slug)
        assert (counts.active_offers, counts.women_only_offers, counts.childcare_offers, counts.free_offers) == (1, 1, 1, 1)
    assert coverage.at(HANNOVER, "wohnen").active_offers == 0
    assert coverage.at(DIEPHOLZ, "sprache").active_offers == 0
    assert sum(c.active_offers for c in coverage.cells.values()) == 2


def test_subsets_count_only_matching_offers() -> None:
    offers = [Offer(HANNOVER, ("sprache",), women_only=True), Offer(HANNOVER, ("sprache",), free=True),
              Offer(HANNOVER, ("sprache",))]
    counts = domain.district_coverage(Facts(offers=offers)).at(HANNOVER, "sprache")
    assert (counts.active_offers, counts.women_only_offers, counts.childcare_offers, counts.free_offers) == (3, 1, 0, 1)


def test_a_withdrawn_offer_does_not_count() -> None:
    coverage = domain.district_coverage(Facts(offers=[Offer(HANNOVER, ("sprache",), active=False)]))
    assert coverage.at(HANNOVER, "sprache").active_offers == 0
    assert coverage.statewide["sprache"].active_offers == 0


def test_a_statewide_offer_counts_only_in_the_statewide_block() -> None:
    facts = Facts(offers=[Offer(None, ("sprache",), childcare=True)])
    by_district = domain.district_coverage(facts)
    by_region = domain.arl_coverage(facts)
    assert by_district.statewide["sprache"].active_offers == 1
    assert by_district.statewide["sprache"].childcare_offers == 1
    assert all(c.active_offers == 0 for c in by_district.cells.values())
    assert all(c.active_offers == 0 for c in by_region.cells.values())
    assert domain.statewide_block(by_district, "sprache") == {"sprache": by_district.statewide["sprache"].as_dict()}


def test_unknown_districts_and_fields_are_ignored() -> None:
    coverage = domain.district_coverage(Facts(offers=[Offer("99999", ("sprache",)), Offer(HANNOVER, ("kochen",))]))
    assert all(c.active_offers == 0 for c in coverage.cells.values())
    assert all(c.active_offers == 0 for c in coverage.statewide.values())


def test_actors_multipliers_and_examples() -> None:
    facts = Facts(
        actors=[
            Actor((HANNOVER, DIEPHOLZ), ("sprache",), is_multiplier=True),
            Actor((HANNOVER,), ("sprache", "wohnen")),
            Actor((HANNOVER,), ("sprache",), active=False),
            Actor((), ("teilhabe",), is_multiplier=True),
        ],
        examples=[Example(HANNOVER, ("sprache",)), Example(HANNOVER, ("sprache",), active=False), Example(None, ("arbeit",))],
    )
    coverage = domain.district_coverage(facts)
    assert (coverage.at(HANNOVER, "sprache").actors, coverage.at(HANNOVER, "sprache").multipliers) == (2, 1)
    assert (coverage.at(DIEPHOLZ, "sprache").actors, coverage.at(DIEPHOLZ, "sprache").multipliers) == (1, 1)
    assert coverage.at(HANNOVER, "wohnen").actors == 1
    assert coverage.at(HANNOVER, "sprache").examples == 1
    assert (coverage.statewide["teilhabe"].actors, coverage.statewide["teilhabe"].multipliers) == (1, 1)
    assert coverage.statewide["arbeit"].examples == 1


def test_arl_level_counts_an_actor_once_per_region() -> None:
    facts = Facts(
        offers=[Offer(HANNOVER, ("sprache",)), Offer(DIEPHOLZ, ("sprache",)), Offer(BRAUNSCHWEIG, ("sprache",))],
        actors=[Actor((HANNOVER, DIEPHOLZ, BRAUNSCHWEIG), ("arbeit",))],
    )
    coverage = domain.arl_coverage(facts)
    assert coverage.areas == ARL_REGIONS
    assert coverage.at("Leine-Weser", "sprache").active_offers == 2
    assert coverage.at("Braunschweig", "sprache").active_offers == 1
    assert coverage.at("Leine-Weser", "arbeit").actors == 1
    assert coverage.at("Braunschweig", "arbeit").actors == 1
    assert coverage.at("Weser-Ems", "arbeit").actors == 0


def test_arl_rows_report_region_size_and_districts_without_offers() -> None:
    facts = Facts(offers=[Offer(HANNOVER, ("sprache",)), Offer(None, ("sprache",))])
    gaps = domain.find_gaps(domain.district_coverage(facts))
    rows = domain.arl_rows(domain.arl_coverage(facts), domain.gaps_per_region(gaps))
    assert len(rows) == 4 * 5
    leine_weser = next(r for r in rows if r["arl_region"] == "Leine-Weser" and r["field"] == "sprache")
    assert (leine_weser["districts"], leine_weser["districts_without_offers"], leine_weser["active_offers"]) == (7, 6, 1)
    assert sum(r["districts"] for r in rows if r["field"] == "sprache") == 45
    assert domain.arl_rows(domain.arl_coverage(facts), domain.gaps_per_region(gaps), "arbeit")[0]["field"] == "arbeit"


def test_gaps_are_every_empty_pair_sorted_by_region_district_field() -> None:
    gaps = domain.find_gaps(domain.district_coverage(Facts()))
    assert len(gaps) == 225
    order = [(ARL_REGIONS.index(g.arl_region), g.district, list(FIELDS).index(g.field)) for g in gaps]
    assert order == sorted(order)
    assert (gaps[0].arl_region, gaps[0].district, gaps[0].field) == ("Braunschweig", BRAUNSCHWEIG, "sprache")
    assert domain.districts_without_offers(gaps) == dict.fromkeys(FIELDS, 45)


def test_a_district_offer_closes_its_gap_and_a_statewide_one_closes_none() -> None:
    facts = Facts(offers=[Offer(HANNOVER, ("sprache",)), Offer(None, ("sprache", "arbeit"))])
    gaps = domain.find_gaps(domain.district_coverage(facts))
    assert len(gaps) == 224
    assert (HANNOVER, "sprache") not in {(g.district, g.field) for g in gaps}
    assert domain.districts_without_offers(gaps) == {**dict.fromkeys(FIELDS, 45), "sprache": 44}
    assert domain.gaps_per_region(gaps)[("Leine-Weser", "sprache")] == 6


def test_withdrawing_the_only_offer_reopens_the_gap() -> None:
    gaps = domain.find_gaps(domain.district_coverage(Facts(offers=[Offer(HANNOVER, ("sprache",), active=False)])))
    assert (HANNOVER, "sprache") in {(g.district, g.field) for g in gaps}


@pytest.mark.parametrize(
    ("costs", "free"),
    [("kostenlos", True), ("Kostenfrei", True), ("gebührenfrei für Geflüchtete", True), ("0 €", True),
     ("0,00 EUR", True), ("keine", True), ("keine Kosten", True), ("5 € pro Termin", False),
     ("keine Angabe", False), ("", False), (None, False)],
)
def test_is_free(costs: str | None, free: bool) -> None:
    assert domain.is_free(costs) is free


def test_offer_status_makes_withdrawal_and_expiry_final() -> None:
    assert domain.offer_status(offer_events.WITHDRAWN, "published") == "withdrawn"
    assert domain.offer_status(offer_events.EXPIRED, "published") == "expired"
    assert domain.offer_status(offer_events.UPDATED, "published") == "published"
    assert domain.offer_status(offer_events.WITHDRAWN, "withdrawn") == "withdrawn"
    assert domain.is_active("published") and not domain.is_active("withdrawn")


def test_csv_export_is_semicolon_separated_utf8_with_bom_for_excel() -> None:
    coverage = domain.district_coverage(Facts(offers=[Offer(HANNOVER, ("sprache",))]))
    data = export.coverage_csv(domain.district_rows(coverage))
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 1 + 45 * 5
    assert lines[0][:3] == ["AGS", "Landkreis / kreisfreie Stadt", "ARL-Region"]
    hannover = next(line for line in lines if line[0] == HANNOVER and line[3] == "sprache")
    assert hannover[4] == "Sprachförderung" and hannover[5] == "1"
    english = export.coverage_csv(domain.district_rows(coverage), lang="en").decode("utf-8-sig").splitlines()
    assert english[0].startswith("district;district_name;arl_region;field;field_name;active_offers")
