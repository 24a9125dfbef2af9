"""The queue gauges: due and waiting deliveries, and the age of the oldest due one."""

import asyncio
import contextlib
import time
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from npa.infrastructure.outbox import utcnow
from services.notifications import domain, metrics
from services.notifications.models import Delivery


def aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class QueueDepth:
    def __init__(self, engine: Engine, every_seconds: float = 1.0) -> None:
        self._engine = engine
        self._every = every_seconds
        self._read_at = 0.0

    async def refresh(self) -> None:
        if time.monotonic() - self._read_at < self._every:
            return
        self._read_at = time.monotonic()
        with contextlib.suppress(Exception):  # a gauge must never stop the sender
            due, waiting, oldest = await asyncio.to_thread(self._read, utcnow())
            metrics.PENDING.labels("due").set(due)
            metrics.PENDING.labels("waiting").set(waiting)
            metrics.OLDEST_DUE_AGE.set(max(0.0, (utcnow() - aware(oldest)).total_seconds()) if oldest else 0.0)

    def _read(self, now: datetime) -> tuple[int, int, datetime | None]:
        with Session(self._engine) as session:
            pending = Delivery.status == domain.DELIVERY_PENDING
            due, oldest = session.exec(select(func.count(), func.min(Delivery.next_attempt_at)).where(
                pending, col(Delivery.next_attempt_at) <= now)).one()
            total = session.exec(select(func.count()).select_from(Delivery).where(pending)).one()
        return due, total - due, oldest
