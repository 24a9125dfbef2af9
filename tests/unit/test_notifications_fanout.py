"""When a run of new items may find a subscription twice (and so needs DISTINCT), ADR 10."""

from services.notifications.usecases.fanout import NewItem, repeats_possible
from tests.support.notifications import offer_event


def new_item(fields: list[str], places: list[str]) -> NewItem:
    event = offer_event(fields=fields, district=places[0] if places else None)
    return NewItem(event, event.subject, 1, fields, places)


def test_one_field_in_one_district_or_state_wide_cannot_find_a_subscription_twice():
    assert not repeats_possible([new_item(["sprache"], ["03241"]), new_item(["arbeit"], ["03403"])])
    assert not repeats_possible([new_item(["sprache", "sprache"], ["03241"])])
    assert not repeats_possible([new_item(["sprache"], [])])  # one row per field under "state-wide items"


def test_several_fields_or_several_districts_can():
    assert repeats_possible([new_item(["sprache"], ["03241"]), new_item(["sprache", "arbeit"], ["03241"])])
    assert repeats_possible([new_item(["sprache", "arbeit"], [])])  # through either field
    assert repeats_possible([new_item(["sprache"], ["03241", "03403"])])  # an actor in two districts
