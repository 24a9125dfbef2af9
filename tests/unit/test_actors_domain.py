"""The actor registry's rules, filter parsing and cursors, without a database."""

import pytest

from services.actors import domain
from services.actors.pages import common_ground
from services.actors.usecases import directory

HANNOVER, GOETTINGEN, OSNABRUECK = "03241", "03159", "03404"


def actor(id="a", districts=(), fields=("sprache",), active=True, **more) -> dict:  # noqa: A002
    return {"id": id, "name": more.pop("name", f"Akteur {id}"), "kind": "initiative", "description": "",
            "districts": list(districts), "fields": list(fields), "active": active, "is_multiplier": False, **more}


def test_fold_ignores_case_accents_and_extra_spaces():
    assert domain.fold("  Ärztekammer   GÖTTINGEN ") == "arztekammer gottingen"
    assert domain.fold("Straße") == "strasse"
    assert domain.sort_name("Éducation") < domain.sort_name("Zentrum") < domain.sort_name("zentrum b")
    assert domain.search_text("Verein", "Beratung für Frauen") == "verein beratung fur frauen"


def test_changed_fields_lists_only_differences():
    assert domain.changed_fields({"name": "A", "fields": ["sprache"]}, {"name": "A", "fields": ["arbeit"]}) == ["fields"]
    assert domain.changed_fields({"name": "A"}, {}) == []


def test_state_wide_actor_serves_every_district():
    assert domain.serves([], {HANNOVER})
    assert domain.serves([HANNOVER, GOETTINGEN], {GOETTINGEN})
    assert not domain.serves([OSNABRUECK], {HANNOVER})


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (domain.ActorFilters(), True),
        (domain.ActorFilters(field="sprache"), True),
        (domain.ActorFilters(field="arbeit"), False),
        (domain.ActorFilters(districts=frozenset({HANNOVER})), True),
        (domain.ActorFilters(districts=frozenset({OSNABRUECK})), False),
        (domain.ActorFilters(kind="initiative"), True),
        (domain.ActorFilters(kind="kirche"), False),
        (domain.ActorFilters(multiplier=True), False),
        (domain.ActorFilters(multiplier=False), True),
        (domain.ActorFilters(text="sprachcafe"), True),
        (domain.ActorFilters(text="kochkurs"), False),
        (domain.ActorFilters(field="sprache", districts=frozenset({HANNOVER}), text="linden"), True),
    ],
)
def test_matches_each_filter(filters, expected):  # noqa: ANN001
    linden = actor(districts=[HANNOVER], name="Sprachcafé Linden")
    assert domain.matches(linden, filters) is expected


def test_inactive_actors_match_only_when_asked_for():
    gone = actor(active=False)
    assert not domain.matches(gone, domain.ActorFilters())
    assert domain.matches(gone, domain.ActorFilters(include_inactive=True))


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (actor("b", districts=[HANNOVER], fields=["sprache", "arbeit"]), True),
        (actor("b", districts=[], fields=["sprache"]), True),  # state-wide shares every district
        (actor("b", districts=[OSNABRUECK], fields=["sprache"]), False),
        (actor("b", districts=[HANNOVER], fields=["wohnen"]), False),
        (actor("b", districts=[HANNOVER], fields=["sprache"], active=False), False),
        (actor("a", districts=[HANNOVER], fields=["sprache"]), False),  # itself
    ],
)
def test_works_alongside(other, expected):  # noqa: ANN001
    me = actor("a", districts=[HANNOVER, GOETTINGEN], fields=["sprache"])
    assert domain.works_alongside(me, other) is expected


def test_a_state_wide_actor_works_alongside_everyone_in_its_fields():
    me = actor("a", districts=[], fields=["arbeit"])
    assert domain.works_alongside(me, actor("b", districts=[OSNABRUECK], fields=["arbeit"]))
    assert not domain.works_alongside(me, actor("b", districts=[OSNABRUECK], fields=["sprache"]))


def test_common_ground_says_why_an_actor_is_listed():
    me = actor("a", districts=[HANNOVER, GOETTINGEN], fields=["sprache", "arbeit"])
    assert common_ground(me, actor("b", districts=[GOETTINGEN, OSNABRUECK], fields=["arbeit"])) == {
        "fields": ["arbeit"], "districts": [GOETTINGEN]}
    assert common_ground(me, actor("b", districts=[], fields=["sprache"]))["districts"] is None
    assert common_ground(actor("a", districts=[]), actor("b", districts=[OSNABRUECK]))["districts"] == [OSNABRUECK]


def test_parse_filters_resolves_regions_and_treats_empty_as_any():
    filters = directory.parse_filters(field="", region="Lüneburg", kind=" ", q="  Göttingen ")
    assert filters.field is None and filters.kind is None
    assert "03355" in filters.districts and "03241" not in filters.districts
    assert filters.text == "gottingen"
    assert directory.parse_filters(region="03241").districts == {"03241"}


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [({"field": "kochen"}, "field"), ({"region": "Atlantis"}, "region"), ({"region": "99999"}, "region"),
     ({"kind": "verein"}, "kind"), ({"q": "x" * 201}, "q")],
)
def test_parse_filters_names_the_bad_parameter(arguments, parameter):  # noqa: ANN001
    with pytest.raises(directory.InvalidFilter) as raised:
        directory.parse_filters(**arguments)
    assert raised.value.parameter == parameter


def test_cursor_round_trip_is_opaque_and_url_safe():
    cursor = directory.Cursor("after", "arztekammer gottingen", "3f1c-…")
    token = cursor.encode()
    assert "gottingen" not in token and all(c.isalnum() or c in "-_" for c in token)
    assert directory.Cursor.decode(token) == cursor
    assert directory.Cursor.decode(directory.Cursor("before", "", "x").encode()).direction == "before"


@pytest.mark.parametrize("token", ["", "nonsense!", "W10", "WyJ4IiwgImEiLCAiYiJd", "WyJhIiwgMSwgImIiXQ", "e30"])
def test_garbage_cursors_are_rejected(token):  # noqa: ANN001
    with pytest.raises(directory.InvalidFilter) as raised:
        directory.Cursor.decode(token)
    assert raised.value.parameter == "cursor"
