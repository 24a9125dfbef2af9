"""The mail sender: a background task that sends due deliveries over SMTP.

Bus handlers only queue deliveries (no network I/O inside a consumer transaction); this
task claims due rows, sends them with aiosmtplib and records each outcome together with
its `de.npa.notification.sent|failed` event in one transaction. 4xx replies and
connection trouble are retried with exponential backoff; 5xx replies fail for good.
"""

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
from prometheus_client import Counter
from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure.outbox import utcnow
from npa.infrastructure.settings import Settings
from npa.infrastructure.wakeup import Wakeup
from services.notifications import domain, usecases
from services.notifications.mails import MailRenderer

log = logging.getLogger(__name__)

MAILS = Counter("npa_notifications_mails_total", "Mail attempts by kind and outcome", ["kind", "outcome"])


@dataclass(frozen=True)
class SenderPolicy:
    poll_seconds: float = 0.5
    batch_size: int = 50
    lease_seconds: float = 300.0
    smtp_timeout_seconds: float = 30.0
    max_attempts: int = 12  # with the delays below: about a day before a mail is given up
    retry_base_seconds: float = 60.0  # greylisting servers want minutes, not seconds
    retry_max_seconds: float = 6 * 3600.0

    @classmethod
    def from_env(cls) -> "SenderPolicy":
        def number(name: str, default: float) -> float:
            value = os.environ.get(f"NPA_NOTIFICATIONS_{name}", "").strip()
            return float(value) if value else default

        return cls(
            poll_seconds=number("SENDER_POLL_SECONDS", cls.poll_seconds),
            max_attempts=int(number("SMTP_MAX_ATTEMPTS", cls.max_attempts)),
            retry_base_seconds=number("SMTP_RETRY_BASE_SECONDS", cls.retry_base_seconds),
            retry_max_seconds=number("SMTP_RETRY_MAX_SECONDS", cls.retry_max_seconds),
        )


# A server's answer about this one message; anything else (connect, auth, disconnect,
# timeout) is trouble with the server and never fails a delivery for good by itself.
MESSAGE_REJECTIONS = (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError,
                      aiosmtplib.SMTPSenderRefused, ValueError)


class DeliverySender:
    def __init__(self, engine: Engine, settings: Settings, renderer: MailRenderer, policy: SenderPolicy,
                 wakeup: Wakeup, on_staged: Callable[[], None]) -> None:
        self._engine = engine
        self._settings = settings
        self._renderer = renderer
        self._policy = policy
        self._wakeup = wakeup
        self._on_staged = on_staged
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        self._wakeup.bind()
        self._task = asyncio.create_task(self.run(), name="mail-sender")

    async def stop(self) -> None:
        """Finish the mail in flight (so it is not sent twice after a restart), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self._policy.smtp_timeout_seconds / 3)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wakeup.clear()
            try:
                handled = await self.send_due()
                failures = 0
            except Exception as error:  # database away: keep the rows, back off, retry
                failures += 1
                log.warning("mail sender round failed (%s), retry %d", type(error).__name__, failures)
                await asyncio.sleep(min(30.0, self._policy.poll_seconds * 2**failures))
                continue
            if handled < self._policy.batch_size and not self._stopping:
                await self._wakeup.wait(self._policy.poll_seconds)

    async def send_due(self) -> int:
        """Send one batch of due deliveries; returns how many were handled."""
        prepared = await asyncio.to_thread(self._claim_and_render, utcnow())
        smtp: aiosmtplib.SMTP | None = None
        try:
            for index, (mail, message) in enumerate(prepared):
                if self._stopping:
                    await asyncio.to_thread(self._release, [m.delivery.id for m, _ in prepared[index:]])
                    return index
                if isinstance(message, str):
                    await self._record_failure(mail, message, permanent=True, counts_as_attempt=False)
                    continue
                try:
                    smtp = smtp or await self._connect()
                    await smtp.send_message(message, sender=self._settings.mail_from,
                                            recipients=[mail.subscription.email])
                except MESSAGE_REJECTIONS as error:
                    permanent = isinstance(error, ValueError) or domain.is_permanent_smtp_code(_reply_code(error))
                    await self._record_failure(mail, _describe(error), permanent=permanent)
                except (aiosmtplib.SMTPException, OSError) as error:
                    # The server, not this message, is the trouble: the rest of the batch waits too.
                    await self._record_failure(mail, _describe(error), permanent=False)
                    await asyncio.to_thread(self._release, [m.delivery.id for m, _ in prepared[index + 1:]],
                                            self._retry_at(1))
                    return len(prepared)
                else:
                    await self._record_sent(mail)
        finally:
            if smtp is not None and smtp.is_connected:
                with contextlib.suppress(Exception):
                    await smtp.quit()
        return len(prepared)

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host, port=settings.smtp_port, timeout=self._policy.smtp_timeout_seconds,
            username=settings.smtp_user or None, password=settings.smtp_password or None,
            start_tls=settings.smtp_starttls,
        )
        await smtp.connect()
        return smtp

    def _claim_and_render(self, now: datetime) -> list[tuple[usecases.DueMail, EmailMessage | str]]:
        """Claim due rows and build their mails; a reason string stands for 'do not send'."""
        with Session(self._engine, expire_on_commit=False) as session:
            due = usecases.claim_due(session, now, limit=self._policy.batch_size,
                                     lease=timedelta(seconds=self._policy.lease_seconds))
        prepared: list[tuple[usecases.DueMail, EmailMessage | str]] = []
        for mail in due:
            if not usecases.still_wanted(mail):
                prepared.append((mail, "subscription no longer active"))
                continue
            try:
                prepared.append((mail, self._renderer.render(mail)))
            except Exception as error:  # a template bug must not stall the queue
                log.exception("cannot render delivery %s", mail.delivery.id)
                prepared.append((mail, f"cannot render mail: {type(error).__name__}"))
        return prepared

    async def _record_sent(self, mail: usecases.DueMail) -> None:
        def record() -> None:
            with Session(self._engine) as session:
                usecases.record_sent(session, mail.delivery.id, utcnow())
                session.commit()

        await asyncio.to_thread(record)
        MAILS.labels(mail.delivery.kind, "sent").inc()
        log.info("sent %s delivery %s", mail.delivery.kind, mail.delivery.id)
        self._on_staged()

    async def _record_failure(self, mail: usecases.DueMail, reason: str, *, permanent: bool,
                              counts_as_attempt: bool = True) -> None:
        policy = self._policy

        def record() -> bool:
            with Session(self._engine) as session:
                final = usecases.record_failure(
                    session, mail.delivery.id, utcnow(), reason, permanent=permanent,
                    max_attempts=policy.max_attempts, retry_base_seconds=policy.retry_base_seconds,
                    retry_max_seconds=policy.retry_max_seconds, counts_as_attempt=counts_as_attempt)
                session.commit()
                return final

        final = await asyncio.to_thread(record)
        MAILS.labels(mail.delivery.kind, "failed" if final else "deferred").inc()
        log.warning("%s delivery %s %s: %s", mail.delivery.kind, mail.delivery.id,
                    "failed" if final else "deferred", domain.redact_addresses(reason)[:300])
        self._on_staged()

    def _retry_at(self, attempts: int) -> datetime:
        delay = domain.retry_delay(attempts, self._policy.retry_base_seconds, self._policy.retry_max_seconds)
        return utcnow() + timedelta(seconds=delay)

    def _release(self, delivery_ids: list[str], when: datetime | None = None) -> None:
        with Session(self._engine) as session:
            usecases.release(session, delivery_ids, when or utcnow())
            session.commit()


def _reply_code(error: Exception) -> int | None:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return max((refused.code for refused in error.recipients), default=None)
    return getattr(error, "code", None)


def _describe(error: Exception) -> str:
    code = _reply_code(error)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        text = error.recipients[0].message
    else:
        text = getattr(error, "message", None) or str(error) or type(error).__name__
    return domain.redact_addresses(f"{code} {text}" if code else f"{type(error).__name__}: {text}")
