from npa.contracts.events import offers as events
from services.offers import domain

STATE = {"title": "Deutschkurs", "fields": ["sprache"], "district": "03241"}


def test_new_offer_is_published_with_all_fields_changed():
    decision = domain.decide_upsert(None, None, STATE)
    assert decision.event_type == events.PUBLISHED
    assert decision.changed_fields == ["district", "fields", "title"]


def test_identical_resubmission_changes_nothing():
    assert not domain.decide_upsert(STATE, domain.PUBLISHED, dict(STATE)).changes_anything


def test_update_lists_the_changed_fields():
    decision = domain.decide_upsert(STATE, domain.PUBLISHED, {**STATE, "district": "03101"})
    assert decision.event_type == events.UPDATED
    assert decision.changed_fields == ["district"]


def test_resubmitting_a_withdrawn_offer_publishes_it_again():
    assert domain.decide_upsert(STATE, domain.WITHDRAWN, STATE).event_type == events.PUBLISHED


def test_withdrawal_happens_once():
    assert domain.decide_withdrawal(domain.PUBLISHED).event_type == events.WITHDRAWN
    assert not domain.decide_withdrawal(domain.WITHDRAWN).changes_anything
