"""Who gets an alert: fields × regions, state-wide items, ARL regions; and SMTP rules."""

from datetime import UTC, datetime

import pytest

from services.notifications import domain

HANNOVER, BRAUNSCHWEIG_CITY, OLDENBURG_CITY = "03241", "03101", "03403"


@pytest.mark.parametrize(
    ("sub_fields", "sub_regions", "item_fields", "district", "expected"),
    [
        (["sprache"], [], ["sprache"], HANNOVER, True),  # no regions = all of Lower Saxony
        (["sprache"], [], ["arbeit"], HANNOVER, False),  # no shared field
        (["sprache", "arbeit"], [HANNOVER], ["arbeit", "wohnen"], HANNOVER, True),  # one shared field is enough
        (["sprache"], [HANNOVER], ["sprache"], OLDENBURG_CITY, False),  # another district
        (["sprache"], [HANNOVER], ["sprache"], None, True),  # state-wide matches every region
        (["sprache"], ["Braunschweig"], ["sprache"], None, True),
        (["arbeit"], [HANNOVER], ["sprache"], None, False),  # state-wide, but the field still counts
        (["sprache"], ["Braunschweig"], ["sprache"], BRAUNSCHWEIG_CITY, True),  # ARL region covers the city
        (["sprache"], ["Braunschweig"], ["sprache"], "03159", True),  # … and Göttingen
        (["sprache"], ["Braunschweig"], ["sprache"], HANNOVER, False),  # Hannover is Leine-Weser
        (["sprache"], ["Leine-Weser"], ["sprache"], HANNOVER, True),
        (["sprache"], ["Weser-Ems", HANNOVER], ["sprache"], OLDENBURG_CITY, True),  # mixed keys and ARL names
    ],
)
def test_matching(sub_fields, sub_regions, item_fields, district, expected):  # noqa: ANN001
    assert domain.matches(sub_fields, sub_regions, item_fields, district) is expected


def test_covered_districts():
    assert domain.covered_districts([]) is None
    assert domain.covered_districts([HANNOVER]) == {HANNOVER}
    braunschweig = domain.covered_districts(["Braunschweig"])
    assert braunschweig is not None and BRAUNSCHWEIG_CITY in braunschweig and HANNOVER not in braunschweig


def test_email_normalisation_makes_spellings_one_key():
    assert domain.normalise_email("  Anna.Beispiel@Example.ORG ") == domain.normalise_email("anna.beispiel@example.org")


def test_smtp_codes_and_backoff():
    assert domain.is_permanent_smtp_code(550)
    assert not domain.is_permanent_smtp_code(451)
    assert not domain.is_permanent_smtp_code(None)  # no reply: connection trouble, retry


def test_redaction_removes_addresses_from_smtp_replies():
    text = domain.redact_addresses("550 5.1.1 <anna@example.org>: Recipient address rejected")
    assert "anna" not in text and "example.org" not in text
    assert text.startswith("550 5.1.1")


def test_message_id_is_deterministic_per_subscription_and_event():
    first = domain.message_id("sub-1", "event-1", "npa.example")
    assert first == domain.message_id("sub-1", "event-1", "npa.example")
    assert first != domain.message_id("sub-1", "event-2", "npa.example")
    assert first != domain.message_id("sub-2", "event-1", "npa.example")
    assert first.startswith("<") and first.endswith("@npa.example>")


# --- new actors: an actor works in several districts, or state-wide ----------------------

@pytest.mark.parametrize(
    ("sub_fields", "sub_regions", "actor_fields", "actor_districts", "expected"),
    [
        (["wohnen"], [], ["wohnen"], ["03404"], True),  # no regions = all of Lower Saxony
        (["wohnen"], ["03404"], ["wohnen"], ["03459", "03404"], True),  # one covered district is enough
        (["wohnen"], ["03404"], ["wohnen"], ["03459"], False),
        (["wohnen"], ["03404"], ["wohnen"], [], True),  # no districts: the actor works state-wide
        (["wohnen"], ["Weser-Ems"], ["wohnen"], ["03459"], True),  # Landkreis Osnabrück lies in Weser-Ems
        (["wohnen"], ["Lüneburg"], ["wohnen"], ["03459", HANNOVER], False),
        (["sprache"], [], ["wohnen"], [], False),  # fields still count
    ],
)
def test_actor_matching(sub_fields, sub_regions, actor_fields, actor_districts, expected):  # noqa: ANN001
    assert domain.matches_any(sub_fields, sub_regions, actor_fields, actor_districts) is expected


@pytest.mark.parametrize(("changed", "matters"), [
    (["title"], True), (["starts_on"], True), (["ends_on", "description"], True), (["district"], True),
    (["fields"], True), (["status"], True), (["city"], True), (["schedule"], True),
    (["description"], False), (["summary", "contact_email"], False), (["registration_url"], False), ([], False),
])
def test_which_offer_changes_matter_to_a_reader(changed, matters):  # noqa: ANN001
    assert domain.matters_to_reader(changed) is matters


def test_item_kinds_and_liveness():
    assert domain.item_kind_of("de.npa.offer.updated") == domain.OFFER
    assert domain.item_kind_of("de.npa.actor.registered") == domain.ACTOR
    with pytest.raises(ValueError):
        domain.item_kind_of("de.npa.notification.sent")
    assert domain.is_live(domain.OFFER, {"status": "published"})
    assert not domain.is_live(domain.OFFER, {"status": "withdrawn"})
    assert not domain.is_live(domain.ACTOR, {"active": False})


def test_mail_retries_keep_their_settings_on_the_shared_backoff(monkeypatch):  # noqa: ANN001
    from services.notifications.config import NotificationsConfig

    monkeypatch.setenv("NPA_NOTIFICATIONS_SMTP_RETRY_BASE_SECONDS", "60")
    monkeypatch.setenv("NPA_NOTIFICATIONS_SMTP_RETRY_MAX_SECONDS", "3600")
    monkeypatch.setenv("NPA_NOTIFICATIONS_SMTP_MAX_ATTEMPTS", "7")
    sender = NotificationsConfig.from_env().sender
    delays = [sender.backoff.delay(3) for _ in range(200)]  # the third failure: 4 × base, up to half off
    assert all(120 <= delay <= 240 for delay in delays) and len(set(delays)) > 100
    assert all(1800 <= sender.backoff.delay(20) <= 3600 for _ in range(50))  # never past the maximum
    assert sender.max_attempts == 7


def test_failure_reasons_are_a_small_fixed_set():
    assert domain.failure_reason(451) == "smtp_4xx"
    assert domain.failure_reason(550) == "smtp_5xx"
    assert domain.failure_reason(None) == "connection"
    assert domain.failure_reason(None, timed_out=True) == "timeout"


# --- digests: when they are due and what they list -------------------------------------------

BERLIN = domain.DigestSchedule()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("now", "frequency", "slot", "key"), [
    ("2026-11-26T06:00:00", "daily", "2026-11-26T06:00:00", "daily:2026-11-26"),  # 07:00 CET = 06:00 UTC
    ("2026-11-26T05:59:59", "daily", "2026-11-25T06:00:00", "daily:2026-11-25"),
    ("2026-07-01T05:00:00", "daily", "2026-07-01T05:00:00", "daily:2026-07-01"),  # 07:00 CEST = 05:00 UTC
    ("2026-03-29T05:00:00", "daily", "2026-03-29T05:00:00", "daily:2026-03-29"),  # the day clocks go forward
    ("2026-10-25T06:30:00", "daily", "2026-10-25T06:00:00", "daily:2026-10-25"),  # … and back
    ("2026-11-30T06:00:00", "weekly", "2026-11-30T06:00:00", "weekly:2026-11-30"),  # Monday 07:00
    ("2026-11-29T20:00:00", "weekly", "2026-11-23T06:00:00", "weekly:2026-11-23"),  # Sunday evening
    ("2026-12-02T12:00:00", "weekly", "2026-11-30T06:00:00", "weekly:2026-11-30"),
])
def test_digest_slots_are_local_time_in_lower_saxony(now, frequency, slot, key):  # noqa: ANN001
    latest = BERLIN.latest_slot(frequency, utc(now))
    assert latest == utc(slot)
    assert BERLIN.period_key(frequency, latest) == key
    assert BERLIN.next_slot(frequency, utc(now)) > utc(now)


def test_digest_schedule_from_settings():
    schedule = domain.DigestSchedule.parse("18:30", "Friday", "09:15")
    assert schedule.latest_slot("daily", utc("2026-11-26T17:30:00")) == utc("2026-11-26T17:30:00")
    assert schedule.latest_slot("weekly", utc("2026-11-26T12:00:00")) == utc("2026-11-20T08:15:00")
    with pytest.raises(ValueError):
        domain.DigestSchedule.parse(weekly_day="someday")


def item(item_id: str, change: str, version: int = 1, kind: str = domain.OFFER, changed=()) -> domain.DigestItemView:  # noqa: ANN001
    return domain.DigestItemView(kind, item_id, f"{item_id}-v{version}", version, change, tuple(changed))


def state(item_id: str, version: int, live: bool = True, matches: bool = True) -> domain.LatestState:
    return domain.LatestState(f"{item_id}-v{version}", live, matches)


def test_digest_lists_each_item_once_in_its_newest_state():
    entries = domain.digest_entries(
        [item("a", domain.NEW, 1), item("a", domain.CHANGED, 2, changed=["title"]), item("b", domain.CHANGED, 5,
                                                                                      changed=["starts_on"]),
         item("b", domain.CHANGED, 6, changed=["district"]), item("x", domain.NEW, kind=domain.EXAMPLE),
         item("y", domain.NEW, kind=domain.ACTOR)],
        {(domain.OFFER, "a"): state("a", 2), (domain.OFFER, "b"): state("b", 6),
         (domain.EXAMPLE, "x"): state("x", 1), (domain.ACTOR, "y"): state("y", 1)},
    )
    assert [(e["section"], e["item_id"], e["event_id"], e["changed_fields"]) for e in entries] == [
        ("new_offers", "a", "a-v2", []),  # new in this period: shown once, as it is now
        ("changed_offers", "b", "b-v6", ["district", "starts_on"]),
        ("examples", "x", "x-v1", []),
        ("actors", "y", "y-v1", []),
    ]


def test_digest_leaves_out_what_is_gone_unless_the_reader_was_told_about_it():
    entries = domain.digest_entries(
        [item("gone-before-told", domain.NEW), item("told-then-gone", domain.WITHDRAWN, 3),
         item("moved-away", domain.NEW), item("example-gone", domain.NEW, kind=domain.EXAMPLE)],
        {(domain.OFFER, "gone-before-told"): state("gone-before-told", 2, live=False),
         (domain.OFFER, "told-then-gone"): state("told-then-gone", 3, live=False),
         (domain.OFFER, "moved-away"): state("moved-away", 2, matches=False),
         (domain.EXAMPLE, "example-gone"): state("example-gone", 2, live=False)},
    )
    assert [(e["section"], e["item_id"]) for e in entries] == [("withdrawn_offers", "told-then-gone")]
    assert domain.digest_entries([], {}) == []
