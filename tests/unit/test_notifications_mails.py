"""Mail rendering: subjects, headers, both parts, key facts, links, languages, accessibility.

Mails are built as wire-ready bytes; every test reads them back with the standard parser,
as a mail client would.
"""

import email
import email.policy
import re
from datetime import UTC, date, datetime

import pytest

from npa.contracts.events.actors import ActorState
from npa.contracts.events.examples import ExampleState
from npa.contracts.events.offers import OfferState
from services.notifications import domain, tokens
from services.notifications.mails import MailRenderer
from services.notifications.mails.headers import MAIL_POLICY
from services.notifications.tokens import SubscriberTokens

BASE = "https://benachrichtigungen.example"
SIGNER = SubscriberTokens("unit-test-secret")
URL = re.compile(r"https?://[^\s\"<>]+")
KINDS = ("offer_published", "offer_updated", "offer_withdrawn", "example_published", "actor_registered")


@pytest.fixture
def renderer() -> MailRenderer:
    return MailRenderer(mail_from="alerts@npa.example", base_url=BASE, signer=SIGNER,
                        actors_base_url="https://akteure.example")


def offer(**changes: object) -> dict:
    state = OfferState(
        id="offer-1", version=1, status="published", title="Deutschkurs A1", summary="Abendkurs für Einsteiger",
        fields=["sprache"], district="03241", city="Hannover", postcode="30159", languages=["de", "ar"],
        costs="kostenlos", starts_on=date(2026, 3, 2), target_groups=["frauen"], childcare=True,
        url="https://angebote.example/offers/offer-1", changed_fields=["starts_on", "description"],
    )
    return state.model_copy(update=changes).model_dump(mode="json")


def example() -> dict:
    return ExampleState(id="example-1", version=1, status="published", title="Sprachpaten im Quartier",
                        goals="Nachbarn helfen beim Deutschlernen", fields=["sprache", "engagement"], district=None,
                        page_url="https://angebote.example/examples/example-1").model_dump(mode="json")


def actor() -> dict:
    return ActorState(id="actor-1", version=1, name="Caritasverband Osnabrück", kind="wohlfahrt",
                      districts=["03404", "03459"], fields=["wohnen"], description="Beratung",
                      website="https://caritas.example").model_dump(mode="json")


ITEMS = {"offer_published": offer, "offer_updated": offer, "offer_withdrawn": offer, "example_published": example,
         "actor_registered": actor}


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def parts(raw: bytes) -> tuple[str, str]:
    message = parse(raw)
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def item_mail(renderer: MailRenderer, kind: str, language: str = "de", **item: object) -> bytes:
    return renderer.item_mail(kind, to="anna@example.org", subscription_id="sub-1", language=language,
                              event_id="event-1", item={**ITEMS[kind](), **item})


def test_german_alert_names_the_offer_and_its_key_facts(renderer):  # noqa: ANN001
    raw = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de",
                               event_id="event-1", offer=offer())
    message = parse(raw)
    assert message["Subject"] == "Neues Angebot: Deutschkurs A1 – Region Hannover"
    assert message["From"] == "alerts@npa.example"
    assert message["To"] == "anna@example.org"
    assert message["Message-ID"] == domain.message_id("sub-1", "event-1", "npa.example")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    text, html = parts(raw)
    for body in (text, html):
        assert "Deutschkurs A1" in body
        assert "Region Hannover" in body and "30159 Hannover" in body  # where
        assert "ab 02.03.2026" in body  # when
        assert "Deutsch, Arabisch" in body  # languages
        assert "kostenlos" in body  # costs
        assert "Frauen, mit Kinderbetreuung" in body  # for whom
        assert "Sprachförderung" in body
        assert "https://angebote.example/offers/offer-1" in body
    assert "Abmelden" in text and "Abonnement verwalten" in text


@pytest.mark.parametrize(("language", "unknown"), [("de", "keine Angabe"), ("en", "not stated")])
def test_costs_and_languages_not_stated_read_as_such_never_free_or_german(renderer, language, unknown):  # noqa: ANN001
    raw = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language=language,
                               event_id="event-1", offer=offer(costs=None, languages=None))
    for body in parts(raw):
        assert body.count(unknown) == 2, body  # Sprachen and Kosten
        assert "kostenlos" not in body and "free" not in body
        assert "Deutsch," not in body and "Deutsch\n" not in body and "German" not in body


def test_alert_has_one_click_unsubscribe_headers_bound_to_the_subscription(renderer):  # noqa: ANN001
    raw = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de",
                               event_id="event-1", offer=offer())
    message = parse(raw)
    header = message["List-Unsubscribe"]
    assert header.startswith(f"<{BASE}/subscriptions/unsubscribe?token=") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = header[1:-1].split("token=", 1)[1]
    assert SIGNER.read(tokens.UNSUBSCRIBE, token) == "sub-1"
    text, html = parts(raw)
    assert header[1:-1] in text and header[1:-1] in html
    assert f"\r\nList-Unsubscribe: {header}\r\n" in raw.decode("ascii")  # verbatim, not an RFC 2047 encoded word
    manage = [url for url in URL.findall(text) if "/subscriptions/manage" in url]
    assert len(manage) == 1 and SIGNER.read(tokens.MANAGE, manage[0].split("token=", 1)[1]) == "sub-1"


def test_the_prebuilt_mail_differs_per_recipient_only_in_its_links_and_ids(renderer):  # noqa: ANN001
    first = parse(renderer.offer_alert(to="a@example.org", subscription_id="sub-1", language="de",
                                       event_id="event-1", offer=offer()))
    second = parse(renderer.offer_alert(to="b@example.org", subscription_id="sub-2", language="de",
                                        event_id="event-1", offer=offer(title="changed, but cached per event")))
    assert second["Subject"] == first["Subject"]  # rendered once per (template, language, event)
    assert second["To"] == "b@example.org" and second["Message-ID"] != first["Message-ID"]
    assert SIGNER.read(tokens.UNSUBSCRIBE, second["List-Unsubscribe"][1:-1].split("token=")[1]) == "sub-2"


def test_english_alert_and_state_wide_offer(renderer):  # noqa: ANN001
    raw = renderer.offer_alert(to="sam@example.org", subscription_id="sub-2", language="en", event_id="event-2",
                               offer=offer(district=None, city=None, postcode=None, fields=["arbeit", "sprache"]))
    message = parse(raw)
    assert message["Subject"] == "New offer: Deutschkurs A1 – statewide (all of Lower Saxony)"
    assert message["Content-Language"] == "en"
    text, html = parts(raw)
    assert "Labour market integration, Language support" in text
    assert "German, Arabic" in html and "from 2 Mar 2026" in html and "women, childcare provided" in html
    assert "Unsubscribe" in text and "Manage your subscription" in html


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(("kind", "subject"), [
    ("offer_updated", {"de": "Geändertes Angebot: Deutschkurs A1 – Region Hannover",
                       "en": "Offer changed: Deutschkurs A1 – Region Hannover"}),
    ("offer_withdrawn", {"de": "Angebot zurückgezogen: Deutschkurs A1 – Region Hannover",
                         "en": "Offer withdrawn: Deutschkurs A1 – Region Hannover"}),
    ("example_published", {"de": "Gutes Beispiel: Sprachpaten im Quartier – landesweit",
                           "en": "Good example: Sprachpaten im Quartier – statewide (all of Lower Saxony)"}),
    ("actor_registered", {"de": "Neu im Bündnis: Caritasverband Osnabrück – Osnabrück, Osnabrück",
                          "en": "New in the alliance: Caritasverband Osnabrück – Osnabrück, Osnabrück"}),
])
def test_every_kind_of_mail_says_what_it_is_and_links_back(renderer, kind, subject, language):  # noqa: ANN001
    raw = item_mail(renderer, kind, language)
    message = parse(raw)
    assert message["Subject"] == subject[language]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(raw)
    for body in (text, html):
        assert "/subscriptions/manage?token=" in body and "/subscriptions/unsubscribe?token=" in body
    if kind == "offer_updated":
        assert ("Geändert: Beginn" if language == "de" else "Changed: start") in text
        assert "description" not in text  # what does not matter to a reader is not named
    if kind == "offer_withdrawn":
        assert ("zurückgezogen" if language == "de" else "withdrawn") in text and "Deutschkurs A1" in text
    if kind == "example_published":
        assert "https://angebote.example/examples/example-1" in html and "Nachbarn helfen" in text
    if kind == "actor_registered":
        assert "https://akteure.example/actors/actor-1" in text and "Beratung" in html


def digest_entries() -> list[tuple[dict, dict]]:
    return [
        ({"section": "new_offers", "kind": "offer", "item_id": "offer-1", "event_id": "e1", "changed_fields": []},
         offer()),
        ({"section": "changed_offers", "kind": "offer", "item_id": "offer-2", "event_id": "e2",
          "changed_fields": ["district"]}, offer(id="offer-2", title="Sprachcafé", district="03101")),
        ({"section": "withdrawn_offers", "kind": "offer", "item_id": "offer-3", "event_id": "e3",
          "changed_fields": []}, offer(id="offer-3", title="Lernpaten", status="withdrawn")),
        ({"section": "examples", "kind": "example", "item_id": "example-1", "event_id": "e4", "changed_fields": []},
         example()),
        ({"section": "actors", "kind": "actor", "item_id": "actor-1", "event_id": "e5", "changed_fields": []},
         actor()),
    ]


def render_digest(renderer: MailRenderer) -> bytes:
    return renderer.digest(to="anna@example.org", subscription_id="sub-1", language="de", digest_id="digest-1",
                          frequency="daily", period="daily:2026-11-26", created_at=datetime.now(UTC),
                           entries=digest_entries())


def test_digest_groups_items_in_sections_with_counts_in_the_subject(renderer):  # noqa: ANN001
    raw = render_digest(renderer)
    message = parse(raw)
    assert message["Subject"] == ("Ihre Tagesübersicht vom 26.11.2026: 1 neues Angebot, 1 Änderung, "
                                  "1 zurückgezogen, 1 gutes Beispiel, 1 neuer Akteur")
    assert message["Message-ID"] == domain.message_id("sub-1", "digest-1", "npa.example")
    text, html = parts(raw)
    headings = [line for line in text.splitlines() if line.startswith("== ")]
    assert headings == ["== NEUE ANGEBOTE ==", "== GEÄNDERTE ANGEBOTE ==", "== ZURÜCKGEZOGENE ANGEBOTE ==",
                        "== GUTE BEISPIELE ==", "== NEU IM BÜNDNIS =="]
    assert "Geändert: Landkreis" in text and "Braunschweig" in text
    assert "Lernpaten" in html and "https://akteure.example/actors/actor-1" in html


def test_html_part_escapes_offer_text(renderer):  # noqa: ANN001
    raw = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de",
                               event_id="event-9", offer=offer(title="Kurs <script>alert(1)</script>"))
    text, html = parts(raw)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Kurs <script>alert(1)</script>" in text  # the plain part stays plain


CHOSEN = {"fields": ["sprache", "arbeit"], "regions": ["03241", "Lüneburg"], "frequency": "weekly",
          "language": "de", "examples": True, "new_actors": False}


@pytest.mark.parametrize(("language", "expected"), [
    ("de", ["Handlungsfelder: Sprachförderung, Arbeitsmarktintegration", "Regionen: Region Hannover, ARL-Region Lüneburg",
            "Häufigkeit: wöchentlich, eine Übersicht in der Woche", "Außerdem: gute Beispiele"]),
    ("en", ["Fields of action: Language support", "Regions: Region Hannover, ARL region Lüneburg",
            "Frequency: weekly, one digest a week", "Also: good examples"]),
])
def test_confirmation_mail_repeats_what_was_chosen_and_carries_only_the_confirmation_link(
        renderer, language, expected):  # noqa: ANN001
    raw = renderer.confirmation(to="anna@example.org", subscription_id="sub-1", language=language,
                                request_id="request-1", preferences=CHOSEN)
    message = parse(raw)
    assert "List-Unsubscribe" not in message
    text, html = parts(raw)
    for line in expected:
        assert line in text, text
        label, names = line.split(": ", 1)
        assert f">{label}</dt>" in html and names in html
    text_urls, html_urls = set(URL.findall(text)), set(URL.findall(html))
    assert text_urls == html_urls and len(text_urls) == 1
    (url,) = text_urls
    assert url.startswith(f"{BASE}/subscriptions/confirm?token=")
    assert SIGNER.read(tokens.CONFIRM, url.split("token=", 1)[1]) == "sub-1"
    assert "offer" not in text.lower() and "angebot:" not in text.lower()  # no other content


def test_confirmation_mail_says_all_of_lower_saxony_when_no_region_was_chosen(renderer):  # noqa: ANN001
    raw = renderer.confirmation(to="anna@example.org", subscription_id="sub-1", language="de",
                                request_id="request-2", preferences={**CHOSEN, "regions": [], "examples": False})
    text, _html = parts(raw)
    assert "Regionen: ganz Niedersachsen" in text and "Außerdem" not in text


def test_mails_come_from_the_named_sender():
    renderer = MailRenderer(mail_from="alerts@npa.example", base_url=BASE, signer=SIGNER,
                            mail_from_name="Niedersachsen packt an – Benachrichtigungen")
    for raw in (renderer.confirmation(to="anna@example.org", subscription_id="sub-1", language="de",
                                      request_id="request-1", preferences=CHOSEN),
                renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de",
                                     event_id="event-1", offer=offer())):
        sender = parse(raw)["From"]
        assert sender.addresses[0].display_name == "Niedersachsen packt an – Benachrichtigungen"
        assert sender.addresses[0].addr_spec == "alerts@npa.example"
    from_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"From: "))
    assert from_line.isascii() and b"=?utf-8?" in from_line  # the dash is encoded (RFC 2047)
    assert b" <alerts@npa.example>\r\n" in raw  # the address itself stays plain


def test_an_internationalised_address_is_written_as_utf8(renderer):  # noqa: ANN001
    raw = renderer.offer_alert(to="jürgen@beispiel.de", subscription_id="sub-1", language="de",
                               event_id="event-1", offer=offer())
    assert parse(raw)["To"] == "jürgen@beispiel.de"


def test_long_non_ascii_subjects_survive_folding_exactly():
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
        assert str(parse(raw)["Subject"]) == subject


def test_quoted_printable_keeps_long_lines_within_limits(renderer):  # noqa: ANN001
    raw = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de", event_id="event-3",
                               offer=offer(summary="Sehr lange Zusammenfassung " * 30))
    assert all(len(line) <= 78 for line in raw.split(b"\r\n") if not line.startswith(b"List-Unsubscribe:"))
    text, _ = parts(raw)
    assert ("Sehr lange Zusammenfassung " * 30).strip() in text
