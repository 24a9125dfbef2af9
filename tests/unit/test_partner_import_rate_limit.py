"""The per-partner token bucket (services/offers/api/rate_limit.py) on a controlled clock."""

import pytest

from services.offers.api import rate_limit
from services.offers.api.rate_limit import TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_requests_wait_for_the_refill():
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_minute=60, burst=3, clock=clock)
    assert [limiter.take("p") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("p") == pytest.approx(1.0)
    clock.now += 0.5
    assert limiter.take("p") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.take("p") == 0.0
    clock.now += 3600
    assert [limiter.take("p") for _ in range(4)][-1] > 0, "the bucket never holds more than the burst"


def test_buckets_are_per_partner():
    limiter = TokenBucketLimiter(rate_per_minute=60, burst=1, clock=Clock())
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0
    assert limiter.take("b") == 0.0


def test_a_cost_above_the_burst_fits_into_a_full_bucket():
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_minute=600, burst=120, clock=clock)
    assert limiter.take("p", 1 + rate_limit.import_cost(10_000)) == 0.0  # 101 tokens
    assert limiter.take("p", 500) == pytest.approx((120 - 19) / 10)
    clock.now += 60
    assert limiter.take("p", 500) == 0.0


def test_rate_zero_switches_the_limit_off_and_bad_settings_are_refused(monkeypatch):
    assert TokenBucketLimiter(0, 1).take("p", 1e9) == 0.0
    with pytest.raises(ValueError):
        TokenBucketLimiter(60, 0)
    monkeypatch.setenv(rate_limit.RATE_ENV, "30")
    monkeypatch.setenv(rate_limit.BURST_ENV, "5")
    limiter = rate_limit.limits_from_environment()
    assert (limiter.rate_per_minute, limiter.burst) == (30, 5)
    monkeypatch.delenv(rate_limit.RATE_ENV)
    monkeypatch.delenv(rate_limit.BURST_ENV)
    assert (rate_limit.limits_from_environment().rate_per_minute, rate_limit.limits_from_environment().burst) == (
        600, 120)
    monkeypatch.setenv(rate_limit.BURST_ENV, "viele")
    with pytest.raises(ValueError, match="NPA_OFFERS_PARTNER_BURST"):
        rate_limit.limits_from_environment()
