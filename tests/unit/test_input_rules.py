"""The shared text rules (npa.contracts.text), the bus envelope's guard and the log redaction."""

import io
import json
import logging
import re

import pytest
from pydantic import BaseModel, ValidationError

from npa.contracts.envelope import MalformedEvent, decode
from npa.contracts.text import MultiLine, SingleLine, find_unsafe, text_problem
from npa.infrastructure import log_redaction

ENVELOPE = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "time": "2026-11-30T08:00:00Z",
            "subject": "s"}


class Texts(BaseModel):
    title: SingleLine
    description: MultiLine = ""


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\tb", "a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\u2028b"])
def test_single_line_text_holds_no_control_character(value):
    with pytest.raises(ValidationError, match="control character"):
        Texts(title=value)


def test_multi_line_text_keeps_line_breaks_and_tabs_normalised():
    assert Texts(title="Kurs", description="a\r\nb\rc\n\td").description == "a\nb\nc\n\td"
    for bad in ("a\x00", "a\x0b", "a\u2029"):
        with pytest.raises(ValidationError, match="control character"):
            Texts(title="Kurs", description=bad)


def test_lone_surrogates_and_64_bit_integers_are_found_with_their_place():
    assert text_problem("\ud800", multiline=True).startswith("contains a lone surrogate U+D800")
    assert find_unsafe({"a": [1, {"b": "x\udc00"}]}) == (("a", 1, "b"), "contains a lone surrogate U+DC00: not valid Unicode text")
    assert find_unsafe({"k\x00": 1})[0] == ("k\x00",)
    assert find_unsafe({"n": 2**63}) == (("n",), "integer out of range (64 bits)")
    assert find_unsafe({"n": -(2**63), "m": 2**63 - 1, "t": True, "f": 1.5, "s": "Grüße\n"}) is None
    assert find_unsafe({"x": float("inf")}) == (("x",), "number is not finite")


@pytest.mark.parametrize(("data", "reason"), [
    ({"offer": {"title": "a\u0000"}}, "data.offer.title: contains the control character U+0000"),
    ({"version": 2**64}, "data.version: integer out of range"),
    ({"items": ["ok", "\u009b"]}, "data.items.1: contains the control character U+009B"),
])
def test_the_bus_envelope_refuses_what_no_field_may_hold(data, reason):
    with pytest.raises(MalformedEvent, match=re.escape(reason)):
        decode(json.dumps({**ENVELOPE, "data": data}).encode())


def test_the_bus_envelope_keeps_ordinary_text():
    data = {"offer": {"title": "Sprachcafé – Grüße", "description": "Zeile\nZeile\tTab"}, "version": 3}
    assert decode(json.dumps({**ENVELOPE, "data": data}, ensure_ascii=False).encode()).data == data


def test_no_address_or_input_reaches_a_log_line_or_traceback():
    stream = io.StringIO()
    logger = logging.getLogger("test.redaction")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    log_redaction.install(logger)
    try:
        try:
            Texts.model_validate({"title": ["dora@example.org"]})
        except ValidationError as error:
            try:
                raise RuntimeError("subscription for dora@example.org failed") from error
            except RuntimeError:
                logger.exception("request %s failed for %s", "/api/v1/subscriptions", "dora@example.org")
        logger.warning("odd text %s", "\ud800 lone")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text and "RuntimeError" in text and "ValidationError" in text
    assert "dora@example.org" not in text and "example.org" not in text
    assert "<e-mail>" in text and "input_value=<redacted>" in text
    assert "\\ud800 lone" in text  # written, not a logging error


def test_multi_line_texts_are_rendered_safely_in_mails():
    from email import message_from_bytes, policy

    from npa.contracts.events.offers import OfferState
    from npa.contracts.offer_body import OfferBody
    from services.notifications.mails import MailRenderer
    from services.notifications.tokens import SubscriberTokens

    body = OfferBody(title="Deutschkurs A1", fields=["sprache"], summary="Zeile eins\r\nZeile <b>zwei</b>",
                     description="Beschreibung\nmit\tTab")
    state = OfferState(id="offer-1", version=1, status="published", url="https://angebote.example/offers/offer-1",
                       **body.state()).model_dump(mode="json")
    renderer = MailRenderer(mail_from="alerts@npa.example", base_url="https://b.example",
                            signer=SubscriberTokens("unit-test-secret"), actors_base_url="https://a.example")
    raw = renderer.offer_alert(to="anna@example.org", subscription_id="sub-1", language="de", event_id="e-1",
                               offer=state)
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"].startswith("Neues Angebot: Deutschkurs A1")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Zeile eins\nZeile <b>zwei</b>" in text.replace("\r\n", "\n")
    assert "Zeile <b>" not in html and "Zeile &lt;b&gt;zwei&lt;/b&gt;" in html
