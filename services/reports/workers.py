"""Periodic work of the reports service: keep the tables that grow with time bounded.

- `state_transitions` (one row per applied offer or example event) is kept for
  NPA_REPORTS_HISTORY_RETENTION_DAYS (default 400: more than the dashboard's twelve months, so
  a downgrade to revision 0003, whose trends read this table, still shows them). The trends
  read `monthly_trends`, which is the history itself: a few hundred rows a month (kind ×
  area × series), kept.
- `new_offer_counts` rows of days before the 30-day window can never be read again; they go
  after NEW_OFFER_DAYS + 2 days (a later change to an old offer writes a row again, and it
  goes again).

Each sweep deletes in small committed steps (npa.infrastructure.periodic.sweep), every
NPA_RETENTION_INTERVAL_SECONDS like the inbox and outbox retention.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure import periodic
from npa.infrastructure.outbox import utcnow
from services.reports import domain
from services.reports.models import NewOfferCount, StateTransition

STEP = 5000


@dataclass(frozen=True)
class Retention:
    history_days: float = 400.0

    @classmethod
    def from_env(cls) -> "Retention":
        return cls(history_days=float(os.environ.get("NPA_REPORTS_HISTORY_RETENTION_DAYS", "").strip() or 400))


def prune_history(session: Session, older_than: timedelta) -> int:
    cutoff = utcnow() - older_than
    oldest = select(StateTransition.event_id).where(StateTransition.occurred_at < cutoff).limit(STEP)
    return session.execute(delete(StateTransition).where(
        StateTransition.event_id.in_(oldest.scalar_subquery()))).rowcount or 0  # type: ignore[attr-defined]


def prune_new_offer_days(session: Session) -> int:
    before = domain.utc_day(utcnow() - timedelta(days=domain.NEW_OFFER_DAYS + 2))
    return session.execute(delete(NewOfferCount).where(NewOfferCount.day < before)).rowcount or 0  # type: ignore[arg-type]


def prune(engine: Engine, retention: Retention) -> int:
    history = timedelta(days=retention.history_days)
    return (periodic.sweep(engine, lambda session: prune_history(session, history))
            + periodic.sweep(engine, prune_new_offer_days))


def pruner(engine: Engine, interval_seconds: float, retention: Retention | None = None):  # noqa: ANN201
    retention = retention or Retention.from_env()
    return periodic.every("reports-retention", interval_seconds, lambda: prune(engine, retention))
