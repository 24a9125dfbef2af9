"""The deliveries as admins look them up (`GET /api/v1/deliveries`): a read that owns its
session (ADR 25), filtered, newest first."""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from npa.infrastructure.unit_of_work import UnitOfWork
from services.notifications.models import Delivery


def find_deliveries(uow: UnitOfWork, *, status: str | None = None, event_id: str | None = None,
                    event_type: str | None = None, kind: str | None = None, subscription_id: str | None = None,
                    since: datetime | None = None, until: datetime | None = None, limit: int = 100,
                    offset: int = 0) -> tuple[int, list[Delivery]]:
    """How many match, and the page of them from `offset`. Times filter on when a mail was queued."""
    query = select(Delivery)
    for column, value in ((Delivery.status, status), (Delivery.event_id, event_id), (Delivery.event_type, event_type),
                          (Delivery.kind, kind), (Delivery.subscription_id, subscription_id)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(col(Delivery.created_at) >= since)
    if until is not None:
        query = query.where(col(Delivery.created_at) < until)
    with uow.reading() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        page = query.order_by(col(Delivery.created_at).desc(), col(Delivery.id)).offset(offset).limit(limit)
        return total, list(session.exec(page))
