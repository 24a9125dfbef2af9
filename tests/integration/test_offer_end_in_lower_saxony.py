"""An offer's end date is a day in Lower Saxony: shortly after midnight there (22:00 or 23:00 UTC
the evening before) an offer that ended "yesterday" is refused, by editors and partners alike,
and one ending today is still taken. On SQLite and PostgreSQL, through the real use cases."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from npa.contracts import reference
from npa.contracts.envelope import new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.offer_body import OfferBody
from npa.infrastructure.database import make_engine, run_migrations
from services.offers import usecases
from services.offers.models import Partner
from services.offers.usecases import known_actors, partner_offers
from tests.support.services import ROOT

# 00:30 on 1 July 2031 in Lower Saxony (summer time, UTC+2); UTC's calendar still says 30 June.
JUST_AFTER_MIDNIGHT = datetime(2031, 6, 30, 22, 30, tzinfo=UTC)
ENDED_YESTERDAY, ENDS_TODAY = date(2031, 6, 30), date(2031, 7, 1)
BODY = {"title": "Deutschkurs am Abend", "fields": ["sprache"], "district": "03241", "provider_actor_id": "vhs-h"}


class _Clock(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206
        return JUST_AFTER_MIDNIGHT.astimezone(tz)


@pytest.mark.parametrize(("instant", "day"), [
    (datetime(2031, 6, 30, 21, 59, tzinfo=UTC), date(2031, 6, 30)),  # summer: 23:59 in Hannover
    (datetime(2031, 6, 30, 22, 0, tzinfo=UTC), date(2031, 7, 1)),
    (datetime(2031, 1, 31, 22, 30, tzinfo=UTC), date(2031, 1, 31)),  # winter (UTC+1): 23:30
    (datetime(2031, 1, 31, 23, 0, tzinfo=UTC), date(2031, 2, 1)),
])
def test_the_day_is_lower_saxonys(instant, day):  # noqa: ANN001
    assert reference.today_in_lower_saxony(instant) == day


@pytest.fixture
def session(database_url, monkeypatch) -> Iterator[Session]:  # noqa: ANN001
    monkeypatch.setattr(reference, "datetime", _Clock)
    run_migrations(ROOT / "services" / "offers" / "migrations", database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        state = actor_events.ActorState(id="vhs-h", version=1, name="VHS Hannover", kind="freier_traeger",
                                        districts=[], fields=["sprache"])
        known_actors.on_actor_events(session, [new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED,
                                                         subject="vhs-h", data=state.model_dump(mode="json"))])
        session.add(Partner(id="partner-h", name="Partnersystem Hannover", actor_id="vhs-h"))
        session.commit()
        yield session
    engine.dispose()


def body(ends_on: date) -> OfferBody:
    return OfferBody.model_validate({**BODY, "ends_on": ends_on.isoformat()})


def test_an_editor_cannot_publish_an_offer_that_ended_yesterday_in_lower_saxony(session):  # noqa: ANN001
    with pytest.raises(usecases.OfferEnded) as refused:
        usecases.save_offer(session, None, body(ENDED_YESTERDAY), base_url="")
    assert refused.value.field == "ends_on"
    offer, decision = usecases.save_offer(session, None, body(ENDS_TODAY), base_url="")
    assert decision.changes_anything and offer.ends_on == ENDS_TODAY


def test_a_draft_that_ended_yesterday_cannot_be_published(session):  # noqa: ANN001
    draft, _ = usecases.save_offer(session, None, body(ENDS_TODAY), base_url="", draft=True)
    draft.body = {**draft.body, "ends_on": ENDED_YESTERDAY.isoformat()}
    draft.ends_on = ENDED_YESTERDAY
    with pytest.raises(usecases.OfferEnded):
        usecases.publish_offer(session, draft, base_url="")


def test_a_partner_offer_that_ended_yesterday_is_refused_naming_its_field(session):  # noqa: ANN001
    plan = partner_offers.plan_partner_changes(session, [
        partner_offers.PartnerChange("partner-h", "ended", body(ENDED_YESTERDAY)),
        partner_offers.PartnerChange("partner-h", "running", body(ENDS_TODAY)),
    ], base_url="")
    ended, running = plan.outcomes
    assert (ended.result, ended.field) == (partner_offers.REJECTED, "ends_on")
    assert "2031-06-30" in ended.reason
    assert running.result == partner_offers.CREATED and running.offer_id
