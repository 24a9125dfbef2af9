"""What each item event means for whom, on SQLite and PostgreSQL, through the real consumer
(inbox, version check, handler, commit) and the real sender into a real SMTP server.

Matching matrix (field × district key × ARL region × state-wide) for offers, good examples
and new actors; offer updates that matter and those that do not; withdrawal notices only to
those who were told about the offer.
"""

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlmodel import Session, select

from npa.contracts.events import offers as offer_events
from services.notifications import domain, usecases
from services.notifications.models import Digest
from services.notifications.usecases import build_due_digests
from tests.support.notifications import (
    actor_event,
    apply,
    deliveries,
    example_event,
    notifications_runtime,
    offer_event,
    subscribe,
)

T0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
HANNOVER, OLDENBURG, OSNABRUECK_LK, GOETTINGEN = "03241", "03403", "03459", "03159"

# name: (fields, regions, examples opt-in, new-actors opt-in)
READERS = {
    "hannover-sprache": (["sprache"], [HANNOVER], True, True),
    "leine-weser-sprache": (["sprache"], ["Leine-Weser"], False, True),
    "everywhere-arbeit": (["arbeit"], [], True, False),
    "weser-ems-both": (["sprache", "arbeit"], ["Weser-Ems"], True, True),
    "braunschweig-or-oldenburg": (["sprache"], ["Braunschweig", OLDENBURG], False, False),
}

MATRIX = [
    # (what, fields, districts (None = state-wide), who gets it)
    ("offer", ["sprache"], HANNOVER, {"hannover-sprache", "leine-weser-sprache"}),
    ("offer", ["sprache"], OLDENBURG, {"weser-ems-both", "braunschweig-or-oldenburg"}),
    ("offer", ["sprache"], GOETTINGEN, {"braunschweig-or-oldenburg"}),  # ARL Braunschweig covers Göttingen
    ("offer", ["sprache"], None, {"hannover-sprache", "leine-weser-sprache", "weser-ems-both",
                                  "braunschweig-or-oldenburg"}),  # state-wide: every region
    ("offer", ["arbeit"], HANNOVER, {"everywhere-arbeit"}),
    ("offer", ["wohnen"], None, set()),
    ("example", ["sprache"], HANNOVER, {"hannover-sprache"}),  # only with the examples opt-in
    ("example", ["arbeit"], None, {"everywhere-arbeit", "weser-ems-both"}),
    ("example", ["sprache"], GOETTINGEN, set()),
    ("actor", ["sprache"], [HANNOVER], {"hannover-sprache", "leine-weser-sprache"}),  # new-actors opt-in
    ("actor", ["sprache"], [], {"hannover-sprache", "leine-weser-sprache", "weser-ems-both"}),  # no districts
    ("actor", ["arbeit", "sprache"], [OSNABRUECK_LK, GOETTINGEN], {"weser-ems-both"}),
    ("actor", ["arbeit"], [HANNOVER], set()),  # "everywhere-arbeit" did not opt in
]


@pytest.fixture
def runtime(database_url):  # noqa: ANN001, ANN201
    with notifications_runtime(database_url) as runtime:
        yield runtime


def event_for(what: str, fields: list[str], where):  # noqa: ANN001, ANN201
    if what == "offer":
        return offer_event(fields=fields, district=where)
    if what == "example":
        return example_event(fields=fields, district=where)
    return actor_event(fields=fields, districts=where)


async def test_matching_matrix_for_offers_examples_and_new_actors(runtime):  # noqa: ANN001
    ids = {subscribe(runtime, f"{name}@example.org", T0, fields=fields, regions=regions, examples=examples,
                     new_actors=actors): name for name, (fields, regions, examples, actors) in READERS.items()}
    with Session(runtime.engine) as session:  # an unconfirmed request must never match
        usecases.request_subscription(session, "unconfirmed@example.org", {
            "fields": ["sprache", "arbeit", "wohnen"], "regions": [], "frequency": "immediate", "language": "de",
            "examples": True, "new_actors": True}, T0)
        session.commit()
    for what, fields, where, expected in MATRIX:
        event = event_for(what, fields, where)
        assert await apply(runtime, event) == "applied"
        got = {ids[d.subscription_id] for d in deliveries(runtime, event_id=event.id)}
        assert got == expected, (what, fields, where)
        assert all(d.kind == domain.ALERT for d in deliveries(runtime, event_id=event.id))


async def test_an_update_that_does_not_matter_sends_nothing(runtime, smtp_sink):  # noqa: ANN001
    reader = subscribe(runtime, "anna@example.org", T0)
    published = offer_event(district=HANNOVER)
    await apply(runtime, published)
    for version, changed in enumerate((["description"], ["summary", "contact_email"], ["registration_url"]), 2):
        quiet = offer_event(district=HANNOVER, offer_id=published.subject, version=version,
                            event_type=offer_events.UPDATED, changed=changed)
        assert await apply(runtime, quiet) == "applied"
        assert deliveries(runtime, event_id=quiet.id) == []
    assert [d.kind for d in deliveries(runtime, subscription_id=reader) if d.kind != domain.CONFIRMATION] == [
        domain.ALERT]


async def test_an_update_that_matters_tells_those_alerted_and_whom_it_concerns_now(database_url, smtp_sink):  # noqa: ANN001
    with notifications_runtime(database_url, smtp_sink.port) as runtime:
        hannover = subscribe(runtime, "hannover@example.org", T0, regions=[HANNOVER])
        oldenburg = subscribe(runtime, "oldenburg@example.org", T0, regions=[OLDENBURG])
        everywhere = subscribe(runtime, "everywhere@example.org", T0)
        published = offer_event(district=HANNOVER, title="Sprachcafé")
        await apply(runtime, published)
        await runtime.sender.send_due()
        moved = offer_event(district=OLDENBURG, offer_id=published.subject, version=2, title="Sprachcafé",
                            event_type=offer_events.UPDATED, changed=["district", "city"])
        await apply(runtime, moved)
        kinds = {d.subscription_id: d.kind for d in deliveries(runtime, event_id=moved.id)}
        # told before: what changed (even though it moved away); concerned only now: as new
        assert kinds == {hannover: domain.UPDATE, everywhere: domain.UPDATE, oldenburg: domain.ALERT}
        await runtime.sender.send_due()
        (update,) = [m for m in smtp_sink.handler.to("hannover@example.org") if "Geändert" in m["Subject"]]
        assert update["Subject"] == "Geändertes Angebot: Sprachcafé – Oldenburg (Oldb)"
        assert "Geändert: Landkreis, Ort" in update.get_body(("plain",)).get_content()
        (new,) = [m for m in smtp_sink.handler.to("oldenburg@example.org") if "Angebot" in m["Subject"]]
        assert new["Subject"] == "Neues Angebot: Sprachcafé – Oldenburg (Oldb)"


async def test_a_withdrawal_is_told_only_to_those_alerted(database_url, smtp_sink):  # noqa: ANN001
    with notifications_runtime(database_url, smtp_sink.port) as runtime:
        alerted = subscribe(runtime, "alerted@example.org", T0)
        daily = subscribe(runtime, "daily@example.org", T0, frequency="daily")
        published = offer_event(district=HANNOVER, title="Bewerbungstraining")
        await apply(runtime, published)
        await runtime.sender.send_due()
        build_due_digests(runtime.engine, domain.DigestSchedule(), datetime(2030, 1, 2, 6, tzinfo=UTC))
        late = subscribe(runtime, "late@example.org", T0)  # subscribed after the alert: never told
        withdrawn = offer_event(district=HANNOVER, offer_id=published.subject, version=2, title="Bewerbungstraining",
                                event_type=offer_events.WITHDRAWN, status="withdrawn", changed=["status"])
        await apply(runtime, withdrawn)
        assert {d.subscription_id: d.kind for d in deliveries(runtime, event_id=withdrawn.id)} == {
            alerted: domain.WITHDRAWAL}
        await runtime.sender.send_due(datetime(2030, 1, 2, 7, tzinfo=UTC))
        (notice,) = [m for m in smtp_sink.handler.to("alerted@example.org") if "zurückgezogen" in m["Subject"]]
        assert notice["Subject"] == "Angebot zurückgezogen: Bewerbungstraining – Region Hannover"
        assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert not [m for m in smtp_sink.handler.to("late@example.org") if "zurückgezogen" in m["Subject"]]
        assert late not in {d.subscription_id for d in deliveries(runtime, event_id=withdrawn.id)}
        # the digest reader was told in a digest: the next digest says it is gone
        build_due_digests(runtime.engine, domain.DigestSchedule(), datetime(2030, 1, 3, 6, tzinfo=UTC))
        with Session(runtime.engine) as session:
            digests = session.exec(select(Digest).where(Digest.subscription_id == daily)).all()
        assert sorted(entry["section"] for digest in digests for entry in digest.entries) == [
            "new_offers", "withdrawn_offers"]


async def test_an_alert_still_queued_when_the_offer_is_withdrawn_is_not_sent(database_url, smtp_sink):  # noqa: ANN001
    skipped_before = REGISTRY.get_sample_value("npa_notifications_mails_withheld_total",
                                               {"kind": "alert", "outcome": "skipped"}) or 0
    with notifications_runtime(database_url, smtp_sink.port) as live:
        reader = subscribe(live, "anna@example.org", T0)
        published = offer_event(district=HANNOVER)
        await apply(live, published)
        await apply(live, offer_event(district=HANNOVER, offer_id=published.subject, version=2,
                                      event_type=offer_events.WITHDRAWN, status="withdrawn", changed=["status"]))
        await live.sender.send_due()
        await live.sender.send_due(datetime(2030, 1, 2, tzinfo=UTC))  # the notice waited for its alert's outcome
        states = {d.kind: d.status for d in deliveries(live, subscription_id=reader)}
        assert states == {domain.CONFIRMATION: domain.DELIVERY_SENT, domain.ALERT: domain.DELIVERY_SKIPPED,
                          domain.WITHDRAWAL: domain.DELIVERY_SKIPPED}
        assert [m["Subject"] for m in smtp_sink.handler.to("anna@example.org")] == [
            "Bitte bestätigen Sie Ihr Abonnement – Niedersachsen packt an"]
        assert REGISTRY.get_sample_value("npa_notifications_mails_withheld_total",
                                         {"kind": "alert", "outcome": "skipped"}) == skipped_before + 1
