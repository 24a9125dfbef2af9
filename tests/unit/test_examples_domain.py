"""Lifecycle rules of good examples: which status and event each command yields."""

import pytest

from npa.contracts.events import examples as events
from services.offers.domain import examples as domain

BODY = {"title": "Sprachpaten in Celle", "situation": "Viele Neuzugewanderte warten auf einen Kurs.",
        "goals": "Alltagsdeutsch", "measures": "Tandems", "results": "120 Tandems", "fields": ["sprache"],
        "district": "03351", "actor_id": "actor-1", "contact_email": "info@example.org", "period": "seit 2023"}


def test_publishing_a_draft_announces_it_as_version_one():
    transition = domain.decide_publication(domain.DRAFT)
    assert (transition.status, transition.event_type) == (domain.PUBLISHED, events.PUBLISHED)
    assert transition.next_version(domain.DRAFT_VERSION) == 1


def test_publishing_twice_changes_nothing():
    transition = domain.decide_publication(domain.PUBLISHED)
    assert transition == domain.Transition(domain.PUBLISHED)
    assert not transition.publishes and transition.next_version(3) == 3


def test_publishing_a_withdrawn_example_announces_it_again():
    assert domain.decide_publication(domain.WITHDRAWN).event_type == events.PUBLISHED


def test_an_actual_change_of_a_published_example_is_an_update_naming_the_fields():
    transition = domain.decide_update(domain.PUBLISHED, BODY, {"results": "150 Tandems", "title": BODY["title"]})
    assert (transition.status, transition.event_type, transition.changed_fields) == (
        domain.PUBLISHED, events.UPDATED, ("results",))
    assert transition.next_version(1) == 2


def test_an_identical_update_changes_nothing():
    transition = domain.decide_update(domain.PUBLISHED, BODY, dict(BODY))
    assert transition == domain.Transition(domain.PUBLISHED)


def test_an_empty_update_changes_nothing():
    assert domain.decide_update(domain.PUBLISHED, BODY, {}) == domain.Transition(domain.PUBLISHED)


@pytest.mark.parametrize("status", [domain.DRAFT, domain.WITHDRAWN])
def test_changes_to_an_unpublished_example_are_kept_but_not_announced(status):
    transition = domain.decide_update(status, BODY, {"district": None})
    assert (transition.status, transition.event_type, transition.changed_fields) == (status, None, ("district",))
    assert transition.next_version(0) == 0


def test_withdrawing_a_published_example_announces_it():
    transition = domain.decide_withdrawal(domain.PUBLISHED)
    assert (transition.status, transition.event_type) == (domain.WITHDRAWN, events.WITHDRAWN)


def test_withdrawing_a_draft_discards_it_without_an_event():
    transition = domain.decide_withdrawal(domain.DRAFT)
    assert (transition.status, transition.event_type, transition.changed_fields) == (
        domain.WITHDRAWN, None, ("status",))


def test_withdrawing_twice_changes_nothing():
    assert domain.decide_withdrawal(domain.WITHDRAWN) == domain.Transition(domain.WITHDRAWN)


def test_only_published_examples_are_public():
    assert [status for status in domain.STATUSES if domain.is_public(status)] == [domain.PUBLISHED]


def test_filters_by_field_region_and_text():
    assert domain.matches(BODY, field="sprache") and not domain.matches(BODY, field="arbeit")
    assert domain.matches(BODY, districts={"03351", "03241"}) and not domain.matches(BODY, districts={"03241"})
    assert domain.matches(BODY, text="  TANDEMS ") and not domain.matches(BODY, text="Fahrrad")
    assert domain.matches(BODY, field="sprache", districts={"03351"}, text="celle")


def test_a_state_wide_example_matches_every_region():
    state_wide = {**BODY, "district": None}
    assert domain.matches(state_wide, districts={"03241"}) and domain.matches(state_wide, districts=set())
