"""What a partner can learn about its own messages and offers (issue 11): its offers, the
messages on the bus that were parked with their reasons, and the state of messages it sent.

The routes call the functions taking a `uow`, each a read in a session of its own, composed of
the session-taking queries below. `record_parked` runs when the consumer parks a message (the
service's dead-letter hook) and writes in a session of its own on the engine.
"""

import base64
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.contracts import signatures, topics
from npa.contracts.envelope import CloudEvent, MalformedEvent, decode
from npa.infrastructure.inbox import InboxEvent
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers.models import Offer, PartnerRefusal, PartnerSigningKey

KEEP_PER_PARTNER = 1000
APPLIED, REFUSED, UNKNOWN = "applied", "refused", "unknown"


def partner_offers(uow: UnitOfWork, partner_id: str, limit: int, after: str | None = None) -> dict:
    with uow.reading() as session:
        return offers_of(session, partner_id, limit, after)


def partner_refusals(uow: UnitOfWork, partner_id: str, limit: int, since: datetime | None = None) -> list[dict]:
    with uow.reading() as session:
        return refusals_of(session, partner_id, limit, since)


def partner_message_states(uow: UnitOfWork, partner_id: str, event_ids: Sequence[str]) -> list[dict]:
    with uow.reading() as session:
        return message_states(session, partner_id, event_ids)


def _authenticated(session: Session, event: CloudEvent, partner_id: str) -> bool:
    """Signed with a live key of that partner (whatever else was wrong with the message)."""
    try:
        key_id = signatures.claimed_key_id(event)
    except signatures.SignatureProblem:
        return False
    key = session.get(PartnerSigningKey, key_id)
    if key is None or key.partner_id != partner_id or key.revoked_at is not None:
        return False
    try:
        signatures.verify(event, base64.b64decode(key.public_key), key_id)
    except signatures.SignatureProblem:
        return False
    return True


def record_parked(engine: Engine, dead_letter_topic: str, key: bytes | None, value: bytes, reason: str) -> None:
    """Keep a parked partner message for the partner it names (in its data, else its Kafka key)."""
    if dead_letter_topic != topics.dead_letter(topics.PARTNER_OFFERS):
        return
    event: CloudEvent | None = None
    try:
        event = decode(value)
    except MalformedEvent:
        pass
    data = event.data if event is not None else {}
    key_text = key.decode("utf-8", "replace") if key else ""
    partner_id = data.get("partner_id") if isinstance(data.get("partner_id"), str) else key_text.partition(":")[0]
    external_id = data.get("external_id") if isinstance(data.get("external_id"), str) else key_text.partition(":")[2]
    if not partner_id:
        return  # nobody to tell
    with Session(engine) as session:
        session.add(PartnerRefusal(
            partner_id=partner_id[:64], event_id=event.id[:64] if event else None,
            external_id=(external_id or None) and external_id[:128], event_type=event.type[:200] if event else None,
            reason=reason[:2000], authenticated=event is not None and _authenticated(session, event, partner_id)))
        session.flush()
        oldest_kept = select(PartnerRefusal.id).where(PartnerRefusal.partner_id == partner_id[:64]) \
            .order_by(PartnerRefusal.parked_at.desc()).offset(KEEP_PER_PARTNER).limit(1000)  # type: ignore[attr-defined]
        session.execute(delete(PartnerRefusal).where(PartnerRefusal.id.in_(oldest_kept.scalar_subquery())))  # type: ignore[attr-defined]
        session.commit()


def refusals_of(session: Session, partner_id: str, limit: int, since: datetime | None = None) -> list[dict]:
    query = select(PartnerRefusal).where(PartnerRefusal.partner_id == partner_id)
    if since is not None:
        query = query.where(PartnerRefusal.parked_at >= since)
    query = query.order_by(PartnerRefusal.parked_at.desc(), PartnerRefusal.id).limit(limit)  # type: ignore[attr-defined]
    return [{"event_id": row.event_id, "external_id": row.external_id, "type": row.event_type, "reason": row.reason,
             "authenticated": row.authenticated, "parked_at": row.parked_at}
            for row in session.execute(query).scalars()]


def message_states(session: Session, partner_id: str, event_ids: Sequence[str]) -> list[dict]:
    """Per event id: applied (the offers service took it: applied, repeated or unchanged),
    refused (parked, with the reason) or unknown (not processed yet, or past the retention)."""
    wanted = list(dict.fromkeys(event_ids))
    refused = {row.event_id: row.reason for row in session.execute(
        select(PartnerRefusal).where(PartnerRefusal.partner_id == partner_id,
                                     PartnerRefusal.event_id.in_(wanted))).scalars()}  # type: ignore[union-attr]
    applied = set(session.execute(select(InboxEvent.event_id).where(
        InboxEvent.event_id.in_(wanted), InboxEvent.topic == topics.PARTNER_OFFERS)).scalars())  # type: ignore[attr-defined]
    return [{"id": event_id, "state": REFUSED if event_id in refused else APPLIED if event_id in applied else UNKNOWN,
             "reason": refused.get(event_id)} for event_id in wanted]


def offers_of(session: Session, partner_id: str, limit: int, after: str | None = None) -> dict:
    """The partner's offers by external id (every status), a page at a time."""
    query = select(Offer.id, Offer.external_id, Offer.status, Offer.title, Offer.version, Offer.district,
                   Offer.ends_on, Offer.updated_at).where(Offer.partner_id == partner_id)
    if after is not None:
        query = query.where(Offer.external_id > after)
    rows = session.execute(query.order_by(Offer.external_id).limit(limit + 1)).all()  # type: ignore[arg-type]
    items = [dict(row._mapping) for row in rows[:limit]]
    return {"items": items, "next_after": items[-1]["external_id"] if len(rows) > limit else None}
