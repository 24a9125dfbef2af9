"""Periodic work of the notifications service, beside its bus consumer and its mail sender:
digests at their local time, the purge of unconfirmed requests, and the retention of what
grows with traffic (ADR 10). Each step takes an explicit `now`, so tests drive it without a clock.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from npa.infrastructure import throttle
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.periodic import every, sweep
from services.notifications import domain, metrics, usecases
from services.notifications.config import NotificationsConfig
from services.notifications.usecases import retention


def build_digests_now(engine: Engine, schedule: domain.DigestSchedule, now: datetime | None = None) -> int:
    return usecases.build_due_digests(engine, schedule, now or utcnow())


def purge_now(engine: Engine, now: datetime | None = None) -> int:
    """Deletes unconfirmed requests past their 7 days, in batches; returns how many."""
    moment = now or utcnow()
    purged = sweep(engine, lambda session: usecases.purge_unconfirmed(session, moment))
    metrics.PURGED.inc(purged)
    return purged


def prune_now(engine: Engine, policy: retention.RetentionPolicy, now: datetime | None = None) -> int:
    """Deletes deliveries, digests, digest items and item states past their retention."""
    return retention.prune(engine, policy, now or utcnow())


def workers(engine: Engine, config: NotificationsConfig, policy: retention.RetentionPolicy, interval_seconds: float,
            wake_sender: Callable[[], None], scrub: Callable[[], None] = lambda: None,
            ) -> dict[str, Callable[[], Awaitable[None]]]:
    """The service's periodic workers by name; `interval_seconds` is the shared retention interval."""
    return {
        "digests": every("digests queued", config.digest_check_seconds,
                         lambda: build_digests_now(engine, config.schedule), after=lambda _count: wake_sender()),
        "purge-unconfirmed": every("unconfirmed requests purged", config.purge_interval_seconds,
                                   lambda: purge_now(engine), after=lambda _count: scrub()),
        "notifications-retention": every("notification rows pruned", interval_seconds,
                                         lambda: prune_now(engine, policy)),
        "throttle-retention": every("throttle counts pruned", interval_seconds,
                                    lambda: sweep(engine, lambda session: throttle.prune(session))),
    }
