"""One backoff policy for every retry loop: consumer, outbox relay, mail sender and recorder."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `base_seconds` × 2^(attempt − 1), at most `max_seconds`.

    `jitter` (0…1) takes up to that share off at random, so work that failed together (one
    outage) does not come back in the same instant.
    """

    base_seconds: float
    max_seconds: float
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.max_seconds < self.base_seconds or not 0 <= self.jitter <= 1:
            raise ValueError(f"backoff: need 0 <= base <= max and 0 <= jitter <= 1, got {self}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failure (1 for the first)."""
        exponent = min(max(0, attempt - 1), 62)  # 2**62 × base is past any max; avoids float overflow
        return min(self.max_seconds, self.base_seconds * 2**exponent) * (1 - self.jitter * random.random())
