"""Whose leases the pending deliveries are under, and giving back those of a sender that is gone.

A claim token is `<sender instance id>:<round>` (ADR 8): the instance id names the process that
holds the lease, so a restarted or surviving sender can tell the rows of a dead one from the
rows of a live one without waiting for the lease to run out.
"""

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from services.notifications import domain
from services.notifications.models import Delivery

OWNER_LENGTH = 16  # hex digits of the instance id; token = owner + ":" + 19 more = 36 at most


def leased_owners(session: Session, now: datetime) -> set[str]:
    """Instance ids holding a lease on a pending delivery right now."""
    owner = func.substr(Delivery.claim_token, 1, OWNER_LENGTH)
    rows = session.exec(select(owner).distinct().where(
        Delivery.status == domain.DELIVERY_PENDING, col(Delivery.next_attempt_at) > now,
        col(Delivery.claim_token).like("_" * OWNER_LENGTH + ":%"))).all()
    return {row for row in rows if row}


def reclaim(session: Session, owner: str, now: datetime) -> int:
    """The pending deliveries leased by `owner` (a sender that is gone) are due again at `now`;
    returns how many. Commits."""
    result = session.execute(update(Delivery).where(
        col(Delivery.status) == domain.DELIVERY_PENDING, col(Delivery.claim_token).like(f"{owner}:%"),
    ).values(next_attempt_at=now, claim_token=None).execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount or 0  # type: ignore[attr-defined]
