"""Periodic work of the offers service: the expiry sweep, which publishes `de.npa.offer.expired`
for offers past their end date (ADR 7)."""

from collections.abc import Awaitable, Callable
from datetime import date

from npa.contracts.reference import today_in_lower_saxony
from npa.infrastructure.periodic import every, sweep
from npa.infrastructure.runtime import ServiceRuntime
from services.offers import usecases


def expire_once(runtime: ServiceRuntime, today: date | None = None) -> int:
    """One sweep, in batches, each its own transaction; returns how many offers expired."""
    day = today or today_in_lower_saxony()
    expired = sweep(runtime.engine, lambda session: usecases.expire_due(
        session, day, base_url=runtime.settings.public_base_url))
    if expired:
        runtime.relay.wake()
    return expired


def expiry(runtime: ServiceRuntime, interval_seconds: float) -> Callable[[], Awaitable[None]]:
    return every("offers expired past their end date", interval_seconds, lambda: expire_once(runtime))
