"""Background workers beside the sender: digests at their local time, and the 7-day purge.

Both call functions that take an explicit `now` (usecases.build_due_digests,
usecases.purge_unconfirmed), so tests drive them without waiting for a clock.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from npa.infrastructure.database import session_scope
from npa.infrastructure.outbox import utcnow
from services.notifications import domain, metrics, usecases

log = logging.getLogger(__name__)


def build_digests_now(engine: Engine, schedule: domain.DigestSchedule, now: datetime | None = None) -> int:
    return usecases.build_due_digests(engine, schedule, now or utcnow())


def purge_now(engine: Engine, now: datetime | None = None) -> int:
    """Deletes unconfirmed requests past their 7 days, in batches; returns how many."""
    total = 0
    while True:
        with session_scope(engine) as session:
            purged = usecases.purge_unconfirmed(session, now or utcnow())
            session.commit()
        total += purged
        if purged == 0:
            metrics.PURGED.inc(total)
            return total


def every(name: str, interval_seconds: float, work: Callable[[], int],
          after: Callable[[int], None] = lambda _count: None) -> Callable[[], Awaitable[None]]:
    """A worker that runs `work` in a thread at start and then every interval; a failure
    (database away) is logged and tried again next time."""

    async def run() -> None:
        while True:
            try:
                count = await asyncio.to_thread(work)
                if count:
                    log.info("%s: %d", name, count)
                    after(count)
            except Exception as error:
                log.warning("%s failed: %s: %s", name, type(error).__name__, error)
            await asyncio.sleep(interval_seconds)

    return run
