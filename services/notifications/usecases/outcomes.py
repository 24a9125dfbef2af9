"""Recording what happened to claimed mails, many at a time, in one transaction per call.

The sender calls `record` as soon as outcomes arrive (a group commit: while one batch is
written, the next collects), so an accepted mail is marked sent within milliseconds. Every
sent or failed mail about a bus event or a digest stages its `de.npa.notification.*` event
in the same transaction.
"""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Dialect, update
from sqlmodel import Session, col

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, new_event
from npa.contracts.events import notifications as notification_events
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.lookup import Lookup
from npa.infrastructure.outbox import stage_many
from npa.infrastructure.prepared import Prepared
from services.notifications import domain
from services.notifications.models import Delivery
from services.notifications.usecases.claims import DueMail

SENT, DEFERRED, FAILED, SKIPPED, POSTPONED = "sent", "deferred", "failed", "skipped", "postponed"
# Built once (Core, no ORM entities): the recorder runs these a few hundred times per fan-out.
_TABLE = Delivery.__table__  # type: ignore[attr-defined]
_SETTLED = ("status", "attempts", "error", "next_attempt_at", "sent_at", "claim_token")


@functools.cache
def _existing(dialect: Dialect) -> Lookup:
    """On the driver's cursor (npa/infrastructure/lookup.py): SQLAlchemy's expanding IN over a
    call's ids was a fifth of `record` on PostgreSQL (py-spy, bench/notifications_fanout.py)."""
    return Lookup.of(_TABLE, ("id",), "id", dialect)


@functools.cache
def _settle(dialect: Dialect) -> Prepared:
    """Every outcome of a call in one statement on PostgreSQL (`UPDATE … FROM` the rows of one
    JSON parameter), the driver's executemany on SQLite: SQLAlchemy's executemany sent one
    UPDATE per mail (ADR 23, 2026-12-02)."""
    return Prepared.update_by_key(_TABLE, "id", _SETTLED, dialect)


@dataclass
class Outcome:
    """What happened to one mail. `permanent` and `counts_as_attempt` matter for failures."""

    mail: DueMail
    result: str  # sent | failed (decided into deferred or failed when recorded) | skipped | postponed
    at: datetime
    reason: str = ""
    permanent: bool = False
    counts_as_attempt: bool = True
    metric_reason: str = "accepted"
    tries: int = 0  # a failure's tries once recorded, this one included when it counts


def record(session: Session, outcomes: list[Outcome], backoff: Backoff, max_attempts: int,
           postpone: timedelta) -> list[Outcome]:
    """Write the outcomes; failures come back with `result` settled as deferred or failed
    (failed: a permanent reply, or the `max_attempts`-th try; deferred: again after `backoff`),
    `tries` counted and `reason` as stored (addresses redacted).
    A delivery erased meanwhile is gone: nothing is written or announced for it."""
    dialect = session.get_bind().dialect
    existing = {row.id for row in _existing(dialect).rows(session, [o.mail.delivery.id for o in outcomes])}
    outcomes = [o for o in outcomes if o.mail.delivery.id in existing]
    changes, announcements = [], []
    for outcome in outcomes:
        delivery = outcome.mail.delivery
        row = {"id": delivery.id, "status": delivery.status, "attempts": delivery.attempts, "error": None,
               "next_attempt_at": delivery.next_attempt_at, "sent_at": None, "claim_token": None}
        if outcome.result == SENT:
            row.update(status=domain.DELIVERY_SENT, attempts=delivery.attempts + 1, sent_at=outcome.at)
            announcements.append((outcome, notification_events.SENT, None))
        elif outcome.result == SKIPPED:
            row.update(status=domain.DELIVERY_SKIPPED, error=outcome.reason[:1000])
        elif outcome.result == POSTPONED:
            row.update(next_attempt_at=outcome.at + postpone)
        else:
            attempts = delivery.attempts + (1 if outcome.counts_as_attempt else 0)
            error = domain.redact_addresses(outcome.reason)[:1000]
            outcome.tries, outcome.reason = attempts, error
            row.update(attempts=attempts, error=error)
            if outcome.permanent or attempts >= max_attempts:
                outcome.result = FAILED
                row.update(status=domain.DELIVERY_FAILED)
                announcements.append((outcome, notification_events.FAILED, error))
            else:
                outcome.result = DEFERRED
                row.update(next_attempt_at=outcome.at + timedelta(seconds=backoff.delay(attempts)))
        changes.append(row)
    _settle(dialect).run(session, changes)
    stage_many(session, topics.NOTIFICATIONS, [
        _announcement(outcome, event_type, reason) for outcome, event_type, reason in announcements
        if outcome.mail.delivery.kind != domain.CONFIRMATION])  # a confirmation answers no bus event
    return outcomes


def release(session: Session, token: str, when: datetime, delivery_ids: list[str] | None = None) -> int:
    """Give claimed but untried deliveries back, due at `when`, without counting an attempt;
    only rows still leased under `token` (the lease may have passed to another replica).
    `delivery_ids` None: every such row (a claim whose mails no round holds). Returns how many."""
    held = (col(Delivery.claim_token) == token, col(Delivery.status) == domain.DELIVERY_PENDING)
    if delivery_ids is None:
        narrowings = [col(Delivery.next_attempt_at) > when]  # a lease lies ahead: the due index narrows it
    else:
        narrowings = [col(Delivery.id).in_(delivery_ids[start:start + 500]) for start in range(0, len(delivery_ids), 500)]
    count = 0
    for narrowing in narrowings:
        result = session.execute(update(Delivery).where(*held, narrowing).values(
            next_attempt_at=when, claim_token=None).execution_options(synchronize_session=False))
        count += result.rowcount or 0  # type: ignore[attr-defined]
    return count


def _announcement(outcome: Outcome, event_type: str, reason: str | None) -> CloudEvent:
    delivery, mail = outcome.mail.delivery, outcome.mail
    # What `DeliveryOutcome(...).model_dump(mode="json")` gives (a unit test holds them equal),
    # without validating strings read from our own rows: one per sent mail.
    data = {"id": delivery.id, "version": 1, "subscription_id": delivery.subscription_id,
            "event_id": delivery.event_id, "event_type": delivery.event_type, "item_id": delivery.item_id,
            "fields": mail.fields, "district": mail.district, "reason": reason}
    return new_event(source=notification_events.SOURCE, type=event_type, subject=delivery.id, data=data)
