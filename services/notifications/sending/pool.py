"""A fixed number of SMTP connections, one per sending worker, opened when first needed."""

import contextlib

import aiosmtplib

from npa.infrastructure.settings import Settings
from services.notifications.sending.transaction import greet


class SmtpPool:
    """`size` slots; a worker owns its slot for a round, so a connection never carries two
    transactions at once. Connections stay open while rounds follow one another and are
    closed when the sender has been idle for a while (servers drop idle clients after a few
    minutes)."""

    def __init__(self, settings: Settings, size: int, timeout: float) -> None:
        self._settings = settings
        self._timeout = timeout
        self._slots: list[aiosmtplib.SMTP | None] = [None] * size
        self.opened = 0  # connections opened since start, for tests and the bench

    @property
    def size(self) -> int:
        return len(self._slots)

    async def connection(self, slot: int) -> aiosmtplib.SMTP:
        """The slot's connection, greeted (and, as configured, encrypted and logged in)."""
        smtp = self._slots[slot]
        if smtp is not None and smtp.is_connected:
            return smtp
        settings = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host, port=settings.smtp_port, timeout=self._timeout,
            username=settings.smtp_user or None, password=settings.smtp_password or None,
            start_tls=settings.smtp_starttls,
        )
        await smtp.connect()
        try:
            if smtp.is_ehlo_or_helo_needed:  # a server that cannot greet fails here, before any mail's transaction
                await greet(smtp)
        except BaseException:
            smtp.close()
            raise
        self._slots[slot] = smtp
        self.opened += 1
        return smtp

    def discard(self, slot: int) -> None:
        """Drop a connection in an unknown state (timeout, broken pipe) without a QUIT."""
        smtp, self._slots[slot] = self._slots[slot], None
        if smtp is not None:
            smtp.close()

    async def close_all(self) -> None:
        for slot, smtp in enumerate(self._slots):
            self._slots[slot] = None
            if smtp is not None and smtp.is_connected:
                with contextlib.suppress(Exception):
                    await smtp.quit()
