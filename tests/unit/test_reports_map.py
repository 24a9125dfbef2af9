"""The map's geometry and classes, the bar charts and the CSV tables, without a server."""

import csv
import io
import re

from npa.contracts.reference import districts
from services.reports import domain, export
from services.reports.domain import Facts, Offer
from services.reports.pages.charts import bar_chart
from services.reports.pages.choropleth import choropleth, class_ranges
from npa.infrastructure.map_shapes import ATTRIBUTION, map_shapes

HANNOVER = "03241"


def test_every_district_has_a_closed_path_inside_the_map() -> None:
    shapes = map_shapes()
    assert set(shapes.shapes) == set(districts())
    assert ATTRIBUTION == "© GeoBasis-DE / BKG 2021 (Daten verändert)"
    assert 0.8 < shapes.height / shapes.width < 1.0  # cos(52.8°) keeps Lower Saxony's proportions
    for shape in shapes.shapes.values():
        assert re.fullmatch(r"(M[0-9. ]+Z)+", shape.path), shape.ags
        numbers = [float(n) for n in re.findall(r"[0-9.]+", shape.path)]
        assert all(0 <= x <= shapes.width + 0.1 for x in numbers[0::2]) and all(0 <= y <= shapes.height + 0.1 for y in numbers[1::2])
    assert sum(len(shape.path) for shape in shapes.shapes.values()) < 80_000  # the page stays small
    assert map_shapes() is shapes  # projected once


def test_class_ranges_split_positive_counts_at_quartiles_without_repeats() -> None:
    assert class_ranges([0, 0]) == []
    assert class_ranges([5, 5, 5]) == [(1, 5)]
    assert class_ranges([0, 1, 2, 3, 4, 5, 6, 7, 8]) == [(1, 2), (3, 4), (5, 6), (7, 8)]
    assert class_ranges([1, 1, 1, 9]) == [(1, 1), (2, 9)]


def test_choropleth_labels_classes_and_gaps() -> None:
    offers = [Offer(HANNOVER, ("sprache",))] * 3 + [Offer("03101", ("sprache",))]
    found = choropleth(domain.district_coverage(Facts(offers=offers)), "sprache")
    assert len(found.districts) == 45 and [d.name for d in found.districts] == sorted(d.name for d in found.districts)
    hannover = next(d for d in found.districts if d.ags == HANNOVER)
    assert (hannover.count, hannover.css) == (3, "k2")
    assert hannover.aria_label == "Region Hannover: 3 aktive Angebote (Sprachförderung)"
    assert "3 aktive Angebote" in hannover.lines and hannover.lines[1] == "ARL Leine-Weser"
    gap = next(d for d in found.districts if d.ags == "03355")
    assert gap.css == "k0" and "Lücke" in gap.aria_label
    assert [(c.css, c.label, c.districts) for c in found.legend] == [
        ("k0", "0 Angebote – Lücke (schraffiert)", 43), ("k1", "1 Angebot", 1), ("k2", "2–3 Angebote", 1)]


def test_bar_chart_scales_to_the_largest_value_and_keeps_every_value_as_text() -> None:
    chart = bar_chart("c", "Titel", [("A", 10, "10"), ("B", 5, "5 (1 neu)"), ("C", 0, "0")])
    assert [bar.width for bar in chart.bars] == [300.0, 150.0, 0.0]
    assert chart.description == "A: 10; B: 5 (1 neu); C: 0"
    assert bar_chart("e", "leer", [("A", 0, "0")]).bars[0].width == 0.0


def test_table_csv_joins_lists_and_writes_german_booleans_and_decimals() -> None:
    columns = {"name": "Name", "languages": "Sprachen", "is_multiplier": "Multiplikator", "share": "Anteil"}
    data = export.table_csv(columns, [{"name": "Verein", "languages": ["ar", "de"], "is_multiplier": True, "share": 0.5,
                                       "ignored": 1}])
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lines == [["Name", "Sprachen", "Multiplikator", "Anteil"], ["Verein", "ar, de", "ja", "0,5"]]
    english = export.table_csv(columns, [{"name": None, "languages": [], "is_multiplier": False, "share": 0.5}], lang="en")
    assert english.decode("utf-8-sig").splitlines() == ["name;languages;is_multiplier;share", ";;false;0.5"]
    assert export.field_name("alle", "de") == "alle Handlungsfelder"
