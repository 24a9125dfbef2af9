"""Per-partner rate limit of the partner write routes: a token bucket per partner in memory.

Limited: `PUT` and `DELETE /api/v1/partners/{partner_id}/offers/{external_id}` (1 token each)
and `POST /api/v1/partners/{partner_id}/offers:import` (1 token per call plus 1 per 100 rows).
Not limited: the admin token, reads, and key management (a partner whose key leaked and is
being abused must still be able to rotate it). The bucket belongs to the partner, not to a
key, so a rotated key shares it.

Configuration (environment, read when the service handles its first limited request):
`NPA_OFFERS_PARTNER_RATE_PER_MINUTE` (default 600, refill rate; 0 switches the limit off) and
`NPA_OFFERS_PARTNER_BURST` (default 120, bucket size: how many writes may come at once).
A 10,000-row import costs 101 tokens, so it fits in the default burst.
"""

import math
import os
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI, HTTPException, Request

RATE_ENV, BURST_ENV = "NPA_OFFERS_PARTNER_RATE_PER_MINUTE", "NPA_OFFERS_PARTNER_BURST"
DEFAULT_RATE_PER_MINUTE, DEFAULT_BURST = 600, 120
ROWS_PER_TOKEN = 100

# Path templates as the matched route reports them (FastAPI 0.16x gives them without the
# router prefix /api/v1; with it they still match, as suffixes).
OFFER_ROUTE = "/partners/{partner_id}/offers/{external_id}"
IMPORT_ROUTE = "/partners/{partner_id}/offers:import"
LIMITED_ROUTES = (("PUT", OFFER_ROUTE), ("DELETE", OFFER_ROUTE), ("POST", IMPORT_ROUTE))


class TokenBucketLimiter:
    """A token bucket per key (partner id), in this process's memory.

    Each bucket holds at most `burst` tokens and refills at `rate_per_minute / 60` tokens per
    second; a request takes its cost or is refused with the seconds until it would fit.

    The state lives in one process: with N replicas of the offers service behind a load
    balancer the effective limit is N× the configured one (each replica has its own buckets),
    and a restart refills every bucket. A shared limit across replicas needs shared state,
    e.g. Redis (INCR/EXPIRE or a Lua token bucket) or a PostgreSQL row per partner updated
    with `UPDATE … RETURNING`; one bucket per partner here keeps memory to the partner count.
    Thread-safe: sync routes run in a thread pool.
    """

    def __init__(self, rate_per_minute: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_minute < 0 or burst < 1:
            raise ValueError("rate_per_minute must be >= 0 and burst >= 1")
        self.rate_per_minute = rate_per_minute
        self.burst = burst
        self._per_second = rate_per_minute / 60
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._per_second > 0

    def take(self, key: str, cost: float = 1.0) -> float:
        """Take `cost` tokens; 0.0 if granted, else the seconds until the request would fit.

        A cost above the burst is capped at the burst, so such a request can still pass
        when the bucket is full.
        """
        if not self.enabled:
            return 0.0
        cost = min(cost, self.burst)
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self._per_second)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / self._per_second


def limits_from_environment() -> TokenBucketLimiter:
    def number(name: str, default: int) -> float:
        value = os.environ.get(name, "").strip()
        try:
            return float(value) if value else default
        except ValueError as problem:
            raise ValueError(f"{name} must be a number, got {value!r}") from problem

    return TokenBucketLimiter(number(RATE_ENV, DEFAULT_RATE_PER_MINUTE), number(BURST_ENV, DEFAULT_BURST))


_creating = threading.Lock()


def limiter_for(app: FastAPI) -> TokenBucketLimiter:
    """The app's limiter, created from the environment on first use (one per app instance)."""
    limiter = getattr(app.state, "partner_rate_limiter", None)
    if limiter is None:
        with _creating:
            limiter = getattr(app.state, "partner_rate_limiter", None)
            if limiter is None:
                limiter = app.state.partner_rate_limiter = limits_from_environment()
    return limiter


def is_limited_route(request: Request) -> bool:
    path = getattr(request.scope.get("route"), "path", "")
    return any(request.method == method and path.endswith(template) for method, template in LIMITED_ROUTES)


def charge(request: Request, partner_id: str, cost: float = 1.0) -> None:
    """Take `cost` tokens from the partner's bucket or answer 429 with Retry-After (whole seconds)."""
    limiter = limiter_for(request.app)
    wait = limiter.take(partner_id, cost)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            429,
            f"rate limit exceeded for partner {partner_id}: {limiter.rate_per_minute:g} writes per minute, "
            f"bursts of {limiter.burst:g} (an import counts 1 + rows/{ROWS_PER_TOKEN}); retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


def import_cost(rows: int) -> float:
    """Tokens an import takes beyond the one of the call itself."""
    return rows / ROWS_PER_TOKEN
