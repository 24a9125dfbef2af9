"""The choropleth: each district's class, label and numbers for the chosen field of action.

Classes: 0 is a gap (no active offer; hatched), the districts with offers fall into up to
four classes by quartile. Every class has its own pattern or lightness and a text in
the legend, so the map reads without colour.
"""

import math
from bisect import bisect_left
from dataclasses import dataclass

from markupsafe import Markup

from npa.contracts.reference import districts
from npa.infrastructure.i18n import gettext, ngettext
from npa.infrastructure.pages import field_name
from services.reports.domain import Counts, Coverage
from npa.infrastructure.map_shapes import map_shapes

CLASS_COUNT = 4
PANEL_WIDTH = 250.0  # the info panel right of the map shows the focused district's numbers


@dataclass(frozen=True)
class LegendClass:
    css: str  # k0 … k4; the pattern id is "muster-" + css
    label: str
    districts: int


@dataclass(frozen=True)
class MapDistrict:
    ags: str
    name: str
    path: Markup
    css: str
    count: int
    aria_label: str
    lines: tuple[str, ...]  # the info panel's lines and the tooltip (<title>)


@dataclass(frozen=True)
class Choropleth:
    field: str
    width: float
    height: float
    map_width: float
    districts: list[MapDistrict]  # by name: the order Tab visits them
    legend: list[LegendClass]


def class_ranges(counts: list[int], classes: int = CLASS_COUNT) -> list[tuple[int, int]]:
    """Up to `classes` ranges over the positive counts, split at quartiles; none repeats."""
    positive = sorted(count for count in counts if count > 0)
    uppers: list[int] = []
    for index in range(1, classes + 1):
        upper = positive[math.ceil(index * len(positive) / classes) - 1] if positive else 0
        if upper > (uppers[-1] if uppers else 0):
            uppers.append(upper)
    ranges, lower = [], 1
    for upper in uppers:
        ranges.append((lower, upper))
        lower = upper + 1
    return ranges


def _offers(count: int) -> str:
    return ngettext("%(num)d aktives Angebot", "%(num)d aktive Angebote", count) % {"num": count}


def _range_label(lower: int, upper: int) -> str:
    if lower == upper:
        return ngettext("%(num)d Angebot", "%(num)d Angebote", lower) % {"num": lower}
    return gettext("%(lower)d–%(upper)d Angebote") % {"lower": lower, "upper": upper}


def district_lines(name: str, arl_region: str, counts: Counts) -> tuple[str, ...]:
    lines = [name, f"ARL {arl_region}",
             _offers(counts.active_offers) if counts.active_offers else gettext("Lücke: kein Angebot")]
    lines += [
        gettext("%(num)d neu in 30 Tagen") % {"num": counts.new_offers},
        gettext("%(num)d nur für Frauen") % {"num": counts.women_only_offers},
        gettext("%(num)d mit Kinderbetreuung") % {"num": counts.childcare_offers},
        gettext("%(num)d kostenlos") % {"num": counts.free_offers},
        gettext("%(actors)d Akteure, %(multipliers)d Multiplikatoren") % {"actors": counts.actors,
                                                                          "multipliers": counts.multipliers},
        gettext("%(num)d Gute Beispiele") % {"num": counts.examples},
    ]
    return tuple(lines)


def choropleth(coverage: Coverage, field: str) -> Choropleth:
    shapes = map_shapes()
    known = districts()
    counts = {key: coverage.at(key, field) for key in known}
    ranges = class_ranges([c.active_offers for c in counts.values()])

    uppers = [upper for _lower, upper in ranges]

    def css_of(count: int) -> str:
        return "k0" if count == 0 else f"k{bisect_left(uppers, count) + 1}"

    name_of_field = field_name(field)
    members = []
    for key in sorted(known, key=lambda key: known[key].name):
        count = counts[key].active_offers
        state = _offers(count) if count else gettext("keine aktiven Angebote, Lücke")
        members.append(MapDistrict(
            key, known[key].name, shapes.shapes[key].path, css_of(count), count,
            f"{known[key].name}: {state} ({name_of_field})",
            district_lines(known[key].name, known[key].arl_region, counts[key]),
        ))
    sizes = {css: sum(m.css == css for m in members) for css in [f"k{i}" for i in range(len(ranges) + 1)]}
    legend = [LegendClass("k0", gettext("0 Angebote – Lücke (schraffiert)"), sizes["k0"])] + [
        LegendClass(f"k{i}", _range_label(lower, upper), sizes[f"k{i}"]) for i, (lower, upper) in enumerate(ranges, 1)
    ]
    return Choropleth(field, shapes.width + PANEL_WIDTH, shapes.height, shapes.width, members, legend)
