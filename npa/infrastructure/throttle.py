"""Throttling kept in the service's database, so it holds across replicas and restarts.

A limit allows `count` hits per fixed window of `window_seconds` for one subject (an address,
a client, an account). Each hit is one `INSERT … ON CONFLICT DO UPDATE … RETURNING` on the row
(scope, subject, window start): atomic on SQLite and PostgreSQL alike, so two replicas counting
the same subject at once can never both pass the last free hit. Refused hits count too (an
attacker who keeps trying does not get a fresh window). A fixed window lets at most 2 × count
through around a window's edge, which is enough against a mail bomb or password guessing.

Subjects are stored as keyed hashes (HMAC-SHA-256 with the service's secret), never as the
address or IP itself, and rows are pruned once their window is over (`prune`).
"""

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from npa.infrastructure.outbox import utcnow


class ThrottleCount(SQLModel, table=True):
    __tablename__ = "throttle_counts"

    scope: str = Field(primary_key=True, max_length=40)
    subject: str = Field(primary_key=True, max_length=64)  # keyed hash, see subject_key
    window_start: int = Field(primary_key=True)  # seconds since the epoch
    window_end: int = Field(index=True)  # for pruning
    hits: int = 0


@dataclass(frozen=True)
class Limit:
    scope: str  # e.g. "subscribe-address"
    count: int  # hits allowed per window; 0 switches the limit off
    window_seconds: int

    def __post_init__(self) -> None:
        if self.count < 0 or self.window_seconds < 1:
            raise ValueError(f"limit {self.scope}: count must be >= 0 and the window at least 1 second")


class Throttled(Exception):
    """Over a limit: try again after `retry_after` whole seconds."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"too many requests ({scope}); retry in {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


def subject_key(secret: str, value: str) -> str:
    """A keyed hash of what is counted (an address, an IP): the table never holds the value."""
    return hmac.new(secret.encode(), value.strip().casefold().encode(), hashlib.sha256).hexdigest()


def hit(session: Session, limits: list[tuple[Limit, str]], now: datetime | None = None) -> None:
    """Count one hit against each (limit, subject key); raise Throttled (with the longest wait)
    when any is exceeded. The caller commits, also when Throttled is raised, so refused hits count."""
    moment = (now or utcnow()).timestamp()
    refused: list[Throttled] = []
    table = ThrottleCount.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for limit, subject in limits:
        if limit.count <= 0:
            continue
        start = int(moment // limit.window_seconds) * limit.window_seconds
        statement = insert(table).values(scope=limit.scope, subject=subject, window_start=start,
                                         window_end=start + limit.window_seconds, hits=1)
        statement = statement.on_conflict_do_update(
            index_elements=["scope", "subject", "window_start"], set_={"hits": table.c.hits + 1},
        ).returning(table.c.hits)
        hits = session.execute(statement).scalar_one()
        if hits > limit.count:
            refused.append(Throttled(limit.scope, max(1, math.ceil(start + limit.window_seconds - moment))))
    if refused:
        raise max(refused, key=lambda error: error.retry_after)


def prune(session: Session, now: datetime | None = None) -> int:
    """Delete the rows whose window is over; returns how many."""
    moment = int((now or utcnow()).timestamp())
    table = ThrottleCount.__table__  # type: ignore[attr-defined]
    result = session.execute(delete(table).where(table.c.window_end < moment))
    return result.rowcount or 0
