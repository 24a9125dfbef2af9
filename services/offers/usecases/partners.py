"""Partners and their API keys: issue, look up, rotate, revoke."""

from datetime import datetime, timedelta

from sqlmodel import Session, select

from npa.infrastructure.auth import hash_api_key, new_api_key
from npa.infrastructure.outbox import utcnow
from services.offers.models import KnownActor, Partner, PartnerKey


def issue_key(session: Session, partner: Partner) -> tuple[PartnerKey, str]:
    """A new key for the partner; the plain key is returned once and never stored."""
    plain = new_api_key()
    key = PartnerKey(partner_id=partner.id, key_hash=hash_api_key(plain))
    session.add(key)
    return key, plain


def is_usable(key: PartnerKey, now: datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


def partner_for_key(session: Session, plain: str, now: datetime | None = None) -> Partner | None:
    key = session.exec(select(PartnerKey).where(PartnerKey.key_hash == hash_api_key(plain))).first()
    if key is None or not is_usable(key, now or utcnow()):
        return None
    partner = session.get(Partner, key.partner_id)
    return partner if partner is not None and partner.active else None


def rotate_keys(session: Session, partner: Partner, grace: timedelta) -> tuple[PartnerKey, str, datetime]:
    """Issue a new key; every older usable key stays valid for `grace`, then expires."""
    now = utcnow()
    expires_at = now + grace
    for key in keys_of(session, partner.id):
        if is_usable(key, now) and (key.expires_at is None or key.expires_at > expires_at):
            key.expires_at = expires_at
            session.add(key)
    key, plain = issue_key(session, partner)
    return key, plain, expires_at


def revoke_key(session: Session, key: PartnerKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)


def keys_of(session: Session, partner_id: str) -> list[PartnerKey]:
    query = select(PartnerKey).where(PartnerKey.partner_id == partner_id).order_by(PartnerKey.created_at)
    return list(session.exec(query).all())


def key_view(key: PartnerKey, now: datetime | None = None) -> dict:
    return {"id": key.id, "created_at": key.created_at, "expires_at": key.expires_at,
            "revoked_at": key.revoked_at, "usable": is_usable(key, now or utcnow())}


class UnknownPartnerActor(ValueError):
    """The partner's actor is not a known, active actor."""

    field = "actor_id"


def create_partner(session: Session, name: str, actor_id: str) -> tuple[Partner, PartnerKey, str]:
    """A partner for a known, active actor, with its first key (the plain key is returned once)."""
    actor = session.get(KnownActor, actor_id)
    if actor is None or not actor.active:
        raise UnknownPartnerActor(f"unknown or inactive actor {actor_id!r} "
                                  "(a newly registered actor appears here within seconds)")
    partner = Partner(name=name, actor_id=actor_id)
    session.add(partner)
    key, plain = issue_key(session, partner)
    return partner, key, plain
