"""Who gets an alert: fields × regions, state-wide items, ARL regions; and SMTP rules."""

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
    assert [domain.retry_delay(n, 1.0, 5.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


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
