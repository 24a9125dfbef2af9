"""Periodic work beside a service's bus and HTTP: sweeps in batches, run on an interval."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure.database import session_scope

log = logging.getLogger(__name__)


def every(name: str, interval_seconds: float, work: Callable[[], int],
          after: Callable[[int], None] = lambda _count: None) -> Callable[[], Awaitable[None]]:
    """A worker that runs `work` in a thread at start and then every interval; `after` gets a
    non-zero count. A failure (database away) is logged and tried again next time."""

    async def run() -> None:
        while True:
            try:
                count = await asyncio.to_thread(work)
                if count:
                    log.info("%s: %d", name, count)
                    after(count)
            except Exception as error:
                log.warning("%s failed: %s: %s", name, type(error).__name__, str(error)[:300])
            await asyncio.sleep(interval_seconds)

    return run


def sweep(engine: Engine, step: Callable[[Session], int]) -> int:
    """Run `step` in its own committed transaction until it reports 0; returns the total.

    Small transactions keep locks short while the consumer writes beside the sweep."""
    total = 0
    while True:
        with session_scope(engine) as session:
            count = step(session)
            session.commit()
        total += count
        if count == 0:
            return total
