"""Mail rendering: subject, headers, both parts, links, languages; the confirmation mail."""

import email
import email.policy
import re
from datetime import date

import pytest
from aiosmtplib.email import flatten_message

from npa.contracts.events.offers import OfferState
from services.notifications import domain, tokens
from services.notifications.mails import MailRenderer
from services.notifications.tokens import SubscriberTokens

BASE = "https://benachrichtigungen.example"
SIGNER = SubscriberTokens("unit-test-secret")
URL = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture
def renderer() -> MailRenderer:
    return MailRenderer(mail_from="alerts@npa.example", base_url=BASE, signer=SIGNER)


def offer(**changes: object) -> dict:
    state = OfferState(
        id="offer-1", version=1, status="published", title="Deutschkurs A1", summary="Abendkurs für Einsteiger",
        fields=["sprache"], district="03241", city="Hannover", postcode="30159", languages=["de", "ar"],
        costs="kostenlos", starts_on=date(2026, 3, 2), url="https://angebote.example/offers/offer-1",
    )
    return state.model_copy(update=changes).model_dump(mode="json")


def parts(message) -> tuple[str, str]:  # noqa: ANN001
    reparsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    text = reparsed.get_body(("plain",)).get_content()
    html = reparsed.get_body(("html",)).get_content()
    return text, html


def test_german_alert_names_the_offer_and_where(renderer):  # noqa: ANN001
    message = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de",
                                   event_id="event-1", offer=offer())
    assert message["Subject"] == "Neues Angebot: Deutschkurs A1 – Region Hannover"
    assert message["From"] == "alerts@npa.example"
    assert message["To"] == "anna@example.org"
    assert message["Message-ID"] == domain.message_id("sub-1", "event-1", "npa.example")
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    for body in (text, html):
        assert "Deutschkurs A1" in body
        assert "Region Hannover" in body
        assert "Sprachförderung" in body
        assert "Deutsch, Arabisch" in body
        assert "kostenlos" in body
        assert "02.03.2026" in body
        assert "https://angebote.example/offers/offer-1" in body
    assert "Abmelden" in text and "Abonnement verwalten" in text


def test_alert_has_one_click_unsubscribe_headers_bound_to_the_subscription(renderer):  # noqa: ANN001
    message = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de",
                                   event_id="event-1", offer=offer())
    header = message["List-Unsubscribe"]
    assert header.startswith(f"<{BASE}/subscriptions/unsubscribe?token=") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = header[1:-1].split("token=", 1)[1]
    assert SIGNER.read(tokens.UNSUBSCRIBE, token) == "sub-1"
    text, html = parts(message)
    assert header[1:-1] in text and header[1:-1] in html
    wire = flatten_message(message).decode("ascii")  # as aiosmtplib puts it on the wire
    assert f"\r\nList-Unsubscribe: {header}\r\n" in wire  # verbatim, not an RFC 2047 encoded word
    manage = [url for url in URL.findall(text) if "/subscriptions/manage" in url]
    assert len(manage) == 1 and SIGNER.read(tokens.MANAGE, manage[0].split("token=", 1)[1]) == "sub-1"


def test_english_alert_and_state_wide_offer(renderer):  # noqa: ANN001
    message = renderer.offer_alert(to="sam@example.org", subscription_id="sub-2", language="en",
                                   event_id="event-1", offer=offer(district=None, city=None, fields=["arbeit", "sprache"]))
    assert message["Subject"] == "New offer: Deutschkurs A1 – statewide (all of Lower Saxony)"
    assert message["Content-Language"] == "en"
    text, html = parts(message)
    assert "Labour market integration, Language support" in text
    assert "German, Arabic" in html
    assert "Unsubscribe" in text and "Manage your subscription" in html


def test_html_part_escapes_offer_text(renderer):  # noqa: ANN001
    message = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de",
                                   event_id="event-1", offer=offer(title="Kurs <script>alert(1)</script>"))
    text, html = parts(message)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Kurs <script>alert(1)</script>" in text  # the plain part stays plain


@pytest.mark.parametrize("language", ["de", "en"])
def test_confirmation_mail_carries_only_the_confirmation_link(renderer, language):  # noqa: ANN001
    message = renderer.confirmation(to="anna@example.org", subscription_id="sub-1", language=language,
                                    request_id="request-1")
    assert "List-Unsubscribe" not in message
    text, html = parts(message)
    text_urls, html_urls = set(URL.findall(text)), set(URL.findall(html))
    assert text_urls == html_urls and len(text_urls) == 1
    (url,) = text_urls
    assert url.startswith(f"{BASE}/subscriptions/confirm?token=")
    assert SIGNER.read(tokens.CONFIRM, url.split("token=", 1)[1]) == "sub-1"


def test_long_non_ascii_subjects_survive_folding_exactly():
    import email
    import email.policy

    from services.notifications.mails import MAIL_POLICY

    for subject in [
        "Neues Angebot: Telefonische Beratung zur Anerkennung von Abschlüssen – landesweit",
        "Neues Angebot: Sprachcafé für Frauen und Mädchen mit Kinderbetreuung – Grafschaft Bentheim",
        "Neues Angebot: " + "Überlänge " * 20 + "– Region Hannover",
        "New offer: plain ascii subject that is long enough to be folded by the policy – statewide",
    ]:
        message = email.message.EmailMessage(policy=MAIL_POLICY)
        message["Subject"] = subject
        message.set_content("x")
        raw = message.as_bytes()
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert str(parsed["Subject"]) == subject
