"""The sender's own SMTP transaction (sending/transaction.py) against a real aiosmtpd server:
what arrives is exactly what `aiosmtplib.SMTP.sendmail` delivers for the same bytes."""

import threading

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtplib.protocol import normalize_message_line_endings

from npa.contracts.events.offers import OfferState
from services.notifications.mails import MailRenderer
from services.notifications.sending.transaction import send_wire_ready
from services.notifications.tokens import SubscriberTokens
from tests.support.processes import free_port

REFUSED = "refused@example.org"


class KeepingHandler:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address == REFUSED:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        with self._lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
async def connection():
    """A client connected to a fresh aiosmtpd server, and what that server received."""
    handler = KeepingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=True)
    controller.start()
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=controller.port)
    try:
        await smtp.connect()
        yield smtp, handler
        await smtp.quit()
    finally:
        controller.stop()


def rendered_mails() -> list[tuple[str, bytes]]:
    renderer = MailRenderer(mail_from="alerts@example.org", base_url="http://portal.example", signer=SubscriberTokens("k"))
    awkward = OfferState(id="o-1", version=1, status="published", title=".Punkt am Anfang", fields=["sprache"],
                         district="03241", url="http://portal.example/offers/1",
                         summary=".\r\n.. zwei Punkte\rnur CR\nnur LF\r\n.\nEnde.").model_dump(mode="json")
    mails = [(f"leser{n}@example.org", renderer.offer_alert(to=f"leser{n}@example.org", subscription_id=str(n),
                                                             language=language, event_id="e-1", offer=awkward))
             for n, language in enumerate(("de", "en"))]
    mails.append(("bestätigung@exämple.org", renderer.confirmation(
        to="bestätigung@exämple.org", subscription_id="s-9", language="de", request_id="r-1",
        preferences={"fields": ["sprache"], "regions": [], "frequency": "immediate"})))
    return mails


async def test_what_arrives_is_what_sendmail_delivers_for_the_same_bytes(connection):  # noqa: ANN001
    smtp, handler = connection
    mails = rendered_mails()
    assert all(normalize_message_line_endings(data) == data for _to, data in mails)  # wire form as built
    for to, data in mails:
        utf8 = not to.isascii()
        await send_wire_ready(smtp, "alerts@example.org", to, data, smtputf8=utf8)
        await smtp.sendmail("alerts@example.org", [to], data, mail_options=["SMTPUTF8"] if utf8 else None)
    assert len(handler.received) == 2 * len(mails)
    for index, (to, data) in enumerate(mails):
        ours, theirs = handler.received[2 * index], handler.received[2 * index + 1]
        assert ours == theirs == ("alerts@example.org", [to], data)


async def test_a_refused_recipient_raises_and_the_connection_carries_the_next_mail(connection):  # noqa: ANN001
    smtp, handler = connection
    (to, data), *_ = rendered_mails()
    with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
        await send_wire_ready(smtp, "alerts@example.org", REFUSED, data, smtputf8=False)
    assert refused.value.code == 550
    await send_wire_ready(smtp, "alerts@example.org", to, data, smtputf8=False)
    assert [(sender, recipients) for sender, recipients, _ in handler.received] == [("alerts@example.org", [to])]


async def test_a_period_at_the_start_of_the_message_and_of_lines_survives(connection):  # noqa: ANN001
    smtp, handler = connection
    data = b"Subject: x\r\n\r\n.\r\n..zwei\r\n.eins\r\nEnde\r\n"
    await send_wire_ready(smtp, "alerts@example.org", "leser@example.org", b"." + data, smtputf8=False)
    await send_wire_ready(smtp, "alerts@example.org", "leser@example.org", data, smtputf8=False)
    assert [content for _, _, content in handler.received] == [b"." + data, data]


async def test_an_address_that_needs_smtputf8_is_refused_before_any_command_and_the_next_mail_goes(connection):  # noqa: ANN001
    smtp, handler = connection
    (to, data), *_ = rendered_mails()
    with pytest.raises(ValueError):
        await send_wire_ready(smtp, "alerts@example.org", "leser@exämple.org", data, smtputf8=False)
    await send_wire_ready(smtp, "alerts@example.org", to, data.removesuffix(b"\r\n"), smtputf8=False)
    assert [(recipients, content) for _, recipients, content in handler.received] == [([to], data)]
