"""The expiry scheduler: publishes `de.npa.offer.expired` for offers past their end date."""

import asyncio
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from npa.infrastructure.runtime import ServiceRuntime
from services.offers import usecases

log = logging.getLogger(__name__)
LOWER_SAXONY = ZoneInfo("Europe/Berlin")


def today_in_lower_saxony() -> date:
    return datetime.now(LOWER_SAXONY).date()


def expire_once(runtime: ServiceRuntime, today: date | None = None) -> int:
    """One sweep, in batches, each its own transaction; returns how many offers expired."""
    total = 0
    while True:
        with runtime.transaction() as session:
            expired = usecases.expire_due(session, today or today_in_lower_saxony(),
                                          base_url=runtime.settings.public_base_url)
            session.commit()
        total += expired
        if expired == 0:
            return total


def scheduler(runtime: ServiceRuntime, interval_seconds: float):  # noqa: ANN201
    async def run() -> None:
        while True:
            try:
                expired = await asyncio.to_thread(expire_once, runtime)
                if expired:
                    log.info("expired %d offers past their end date", expired)
            except Exception as error:  # database away: try again next round
                log.warning("expiry sweep failed: %s", type(error).__name__)
            await asyncio.sleep(interval_seconds)

    return run
