"""One SMTP transaction for a mail whose bytes are already in wire form.

`aiosmtplib.SMTP.sendmail` rewrites every line ending of a message twice (once to compute SIZE,
once for DATA) and quotes leading periods with a regular expression, and it parses each address
twice: with ten thousand mails that was a sixth of the sender's interpreter time (py-spy,
bench/notifications_fanout.py, ADR 23). Our mails are built with CRLF line endings only
(`mails.mime.PreparedMail`), so here only the periods are quoted, and only when a line starts
with one; the commands and replies are aiosmtplib's own. Here too: which errors refuse the
message itself, and how a failure is described on the delivery.
"""

from functools import lru_cache

import aiosmtplib
from aiosmtplib.email import quote_address

from services.notifications import domain

# A server's answer about this one message. Anything else (connect, auth, disconnect,
# timeout) is trouble with the server and never fails a delivery for good by itself.
MESSAGE_REJECTIONS = (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError,
                      aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPNotSupported, ValueError)
START_INPUT, COMPLETED = 354, 250
ACCEPTED_RECIPIENT = (250, 251)


async def send_wire_ready(smtp: aiosmtplib.SMTP, sender: str, recipient: str, message: bytes, *,
                          smtputf8: bool) -> None:
    """MAIL, RCPT, DATA for one recipient. `message` must use CRLF line endings and end with one.
    Raises what `sendmail` raises for a refused sender, recipient or message (after a RSET, so
    the connection can carry the next mail) and for trouble with the connection.

    The caller bounds the whole transaction (`asyncio.timeout`) and drops the connection when
    it runs out; the commands set no timers of their own (one timer per reply was a tenth of
    the SMTP client's time)."""
    encoding = "utf-8" if smtputf8 else "ascii"
    # Addresses are checked before the first command (ValueError), so a bad one never leaves
    # a half-open envelope on the connection. The recipient is not cached: every mail of a
    # fan-out has another one.
    mail_from = [b"MAIL", b"FROM:" + _quoted(sender).encode(encoding)]
    rcpt_to = b"TO:" + quote_address(recipient).encode(encoding)
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    size = len(message)  # RFC 1870: the octets as transmitted, before period quoting
    if message.startswith(b".") or b"\n." in message:  # RFC 5321 §4.5.2; rare in quoted-printable
        message = (b"." if message.startswith(b".") else b"") + message.replace(b"\n.", b"\n..")
    if smtp.is_ehlo_or_helo_needed:
        await greet(smtp)
    if smtputf8 and not smtp.supports_extension("smtputf8"):
        raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
    if smtp.supports_extension("size"):
        mail_from.append(b"SIZE=%d" % size)
    if smtputf8:
        mail_from.append(b"SMTPUTF8")
    try:
        response = await smtp.execute_command(*mail_from, timeout=None)
        if response.code != COMPLETED:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)
        response = await smtp.execute_command(b"RCPT", rcpt_to, timeout=None)
        if response.code not in ACCEPTED_RECIPIENT:
            raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
        response = await smtp.execute_command(b"DATA", timeout=None)
        if response.code != START_INPUT:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        protocol = smtp.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        protocol.write(message + b".\r\n")
        response = await protocol.read_response(timeout=None)
        if response.code != COMPLETED:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
    except aiosmtplib.SMTPResponseException:
        await _reset(smtp)
        raise


async def greet(smtp: aiosmtplib.SMTP) -> None:
    """EHLO, or HELO from a server that does not speak ESMTP (as `sendmail` does)."""
    try:
        await smtp.ehlo(timeout=None)
    except aiosmtplib.SMTPHeloError:
        if not smtp.is_connected:
            raise
        await smtp.helo(timeout=None)


@lru_cache(maxsize=16)  # the sender address: the same on every mail
def _quoted(address: str) -> str:
    return quote_address(address)


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """As `sendmail` does after a refusal: the next mail starts a fresh envelope."""
    try:
        await smtp.rset(timeout=None)
    except (ConnectionError, aiosmtplib.SMTPResponseException):
        pass


def reply_code(error: Exception) -> int | None:
    """The server's reply code in a failed transaction, if it gave one."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return max((refused.code for refused in error.recipients), default=None)
    return getattr(error, "code", None)


def describe(error: Exception) -> str:
    """A failure as the delivery stores it: the reply code and text, addresses redacted."""
    code = reply_code(error)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        text = error.recipients[0].message
    else:
        text = getattr(error, "message", None) or str(error) or type(error).__name__
    return domain.redact_addresses(f"{code} {text}" if code else f"{type(error).__name__}: {text}")
