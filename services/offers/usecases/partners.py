"""Partners and their API keys: issue, look up, rotate, revoke.

The functions taking a `uow` are what the JSON routes and the editor views call: each opens its
own transaction (or reading session), commits a change together with the editor's audit entry
when an editor makes it, and returns detached rows or plain values. The session-taking steps
they are composed of work in the caller's transaction and leave the commit to it; the signing
key and partner offer use cases share `load_partner` with them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from npa.infrastructure import audit
from npa.infrastructure.api_keys import hash_api_key, new_api_key
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers.models import KnownActor, Partner, PartnerKey, PartnerSigningKey
from services.offers.usecases.known_actors import active_actors


class PartnerNotFound(LookupError):
    def __init__(self, partner_id: str) -> None:
        super().__init__(f"partner {partner_id} not found")


class PartnerKeyNotFound(LookupError):
    def __init__(self, partner_id: str, key_id: str) -> None:
        super().__init__(f"key {key_id} of partner {partner_id} not found")


@dataclass(frozen=True)
class PartnerList:
    """The editor's list of partners and what creating one needs."""

    partners: list[Partner]
    actor_names: dict[str, str]  # every actor this service knows, to name a partner's actor
    actors: list[KnownActor]  # the active ones, which a new partner may belong to


def add_partner(uow: UnitOfWork, name: str, actor_id: str, *, by: Editor | None = None
                ) -> tuple[Partner, PartnerKey, str]:
    """`by` is the editor named in the audit trail; the JSON API's admin token records none."""
    with uow.transaction() as session:
        partner, key, plain = create_partner(session, name, actor_id)
        if by is not None:
            audit.record(session, by, "partner.created", "partner", partner.id, f"{name}, Schlüssel {key.id}")
        session.commit()
    return partner, key, plain


def rotate_partner_keys(uow: UnitOfWork, partner_id: str, grace: timedelta, *, by: Editor | None = None
                        ) -> tuple[PartnerKey, str, datetime]:
    with uow.transaction() as session:
        key, plain, expires_at = rotate_keys(session, load_partner(session, partner_id), grace)
        if by is not None:
            audit.record(session, by, "partner.key_rotated", "partner", partner_id,
                         f"neuer Schlüssel {key.id}; ältere gelten bis {expires_at:%d.%m.%Y %H:%M} UTC")
        session.commit()
    return key, plain, expires_at


def revoke_partner_key(uow: UnitOfWork, partner_id: str, key_id: str, *, by: Editor | None = None) -> None:
    if not revoke_credential(uow, PartnerKey, partner_id, key_id, by=by, action="partner.key_revoked",
                             label=f"Schlüssel {key_id}"):
        raise PartnerKeyNotFound(partner_id, key_id)


def revoke_credential(uow: UnitOfWork, model: type[PartnerKey | PartnerSigningKey], partner_id: str, key_id: str,
                      *, by: Editor | None, action: str, label: str) -> bool:
    """Revokes a partner's API key or signing key; False when the partner has no such key.
    Revoking a revoked key changes nothing and leaves no audit entry."""
    with uow.transaction() as session:
        key = session.get(model, key_id)
        if key is None or key.partner_id != partner_id:
            return False
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            session.add(key)
            if by is not None:
                audit.record(session, by, action, "partner", partner_id, label)
        session.commit()
    return True


def partner_keys(uow: UnitOfWork, partner_id: str) -> tuple[Partner, list[dict]]:
    """The partner and its keys (`key_view`), oldest first."""
    with uow.reading() as session:
        partner = load_partner(session, partner_id)
        return partner, [key_view(key) for key in keys_of(session, partner_id)]


def get_partner(uow: UnitOfWork, partner_id: str) -> Partner:
    with uow.reading() as session:
        return load_partner(session, partner_id)


def partner_holding_key(uow: UnitOfWork, plain: str) -> Partner | None:
    """The active partner whose usable key this is, if any (how a partner authenticates)."""
    with uow.reading() as session:
        return partner_for_key(session, plain)


def partner_list(uow: UnitOfWork) -> PartnerList:
    with uow.reading() as session:
        partners = list(session.exec(select(Partner).order_by(Partner.name)))
        names = {actor.id: actor.name for actor in session.exec(select(KnownActor))}
        return PartnerList(partners, names, active_actors(session))


def load_partner(session: Session, partner_id: str) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise PartnerNotFound(partner_id)
    return partner


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
