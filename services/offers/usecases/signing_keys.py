"""Partners' signing keys: register a public key, list, revoke; and the check that a batch of
partner messages was signed by the partner each names (ADR 0013).

The functions taking a `uow` are what the JSON routes and the editor views call: each opens its
own transaction, writes the editor's audit entry beside the change when an editor makes it, and
commits. The session-taking steps work in the caller's transaction; `check_signed` runs in the
bus handler's batch transaction.
"""

import base64
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Dialect, select
from sqlmodel import Session

from npa.contracts import signatures
from npa.contracts.envelope import CloudEvent
from npa.infrastructure import audit
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.lookup import Lookup
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers.models import Partner, PartnerSigningKey
from services.offers.usecases.partners import load_partner, revoke_credential


@dataclass(frozen=True)
class SignatureWindow:
    """How old (and how far ahead) a signed message may be. `max_age` stays below the inbox's
    retention, so a replay is either still a repeat for the inbox or already too old."""

    max_age: timedelta = timedelta(hours=72)
    max_skew: timedelta = timedelta(minutes=5)


class KeyTaken(ValueError):
    """The public key is registered already (for this or another partner)."""


class SigningKeyNotFound(LookupError):
    def __init__(self, partner_id: str, key_id: str) -> None:
        super().__init__(f"signing key {key_id} of partner {partner_id} not found")


def register_signing_key(uow: UnitOfWork, partner_id: str, public_key: bytes, *, by: Editor | None = None) -> dict:
    """The registered key (`key_view`); raises PartnerNotFound, then KeyTaken. `by` is the
    editor named in the audit trail; the JSON API records none."""
    with uow.transaction() as session:
        load_partner(session, partner_id)
        key = register(session, partner_id, public_key)
        if by is not None:
            audit.record(session, by, "partner.signing_key_registered", "partner", partner_id,
                         f"Signierschlüssel {key.id}")
        session.commit()
        return key_view(key)


def revoke_signing_key(uow: UnitOfWork, partner_id: str, key_id: str, *, by: Editor | None = None) -> None:
    """At once: every message signed with it is refused from now on (ADR 0013)."""
    if not revoke_credential(uow, PartnerSigningKey, partner_id, key_id, by=by,
                             action="partner.signing_key_revoked", label=f"Signierschlüssel {key_id}"):
        raise SigningKeyNotFound(partner_id, key_id)


def partner_signing_keys(uow: UnitOfWork, partner_id: str) -> tuple[Partner, list[dict]]:
    """The partner and its signing keys (`key_view`), oldest first."""
    with uow.reading() as session:
        partner = load_partner(session, partner_id)
        return partner, [key_view(key) for key in keys_of(session, partner_id)]


def register(session: Session, partner_id: str, public_key: bytes) -> PartnerSigningKey:
    key_id = signatures.key_id_of(public_key)
    if session.get(PartnerSigningKey, key_id) is not None:
        raise KeyTaken(f"key {key_id} is registered already; generate a new key pair")
    key = PartnerSigningKey(id=key_id, partner_id=partner_id, public_key=signatures.public_key_text(public_key))
    session.add(key)
    return key


def keys_of(session: Session, partner_id: str) -> list[PartnerSigningKey]:
    query = select(PartnerSigningKey).where(PartnerSigningKey.partner_id == partner_id) \
        .order_by(PartnerSigningKey.created_at)  # type: ignore[arg-type]
    return list(session.execute(query).scalars())


def key_view(key: PartnerSigningKey) -> dict:
    return {"key_id": key.id, "partner_id": key.partner_id, "public_key": key.public_key,
            "created_at": key.created_at, "revoked_at": key.revoked_at, "usable": key.revoked_at is None}


_KEYS = PartnerSigningKey.__table__  # type: ignore[attr-defined]


@functools.cache
def _keys_by_id(dialect: Dialect) -> Lookup:  # on the driver's cursor (lookup.py): it runs per batch
    return Lookup.of(_KEYS, ("id", "partner_id", "public_key", "revoked_at"), "id", dialect)


@functools.lru_cache(maxsize=1024)
def _raw_key(text: str) -> bytes:
    return base64.b64decode(text)


def check_signed(session: Session, events: Sequence[CloudEvent], window: SignatureWindow,
                 now: datetime | None = None) -> dict[str, str]:
    """Event id → why it is refused, for each event not signed by a live key of the partner
    its data names; one query for the batch's keys."""
    now = now or utcnow()
    problems: dict[str, str] = {}
    claimed: dict[str, str] = {}
    for event in events:
        try:
            claimed[event.id] = signatures.claimed_key_id(event)
            signatures.check_window(event, now, window.max_age, window.max_skew)
        except signatures.SignatureProblem as problem:
            problems[event.id] = str(problem)
    keys = {key.id: key for key in _keys_by_id(session.get_bind().dialect).rows(session, claimed.values())}
    for event in events:
        if event.id in problems:
            continue
        key_id = claimed[event.id]
        key = keys.get(key_id)
        partner_id = event.data.get("partner_id")
        if key is None:
            problems[event.id] = f"{signatures.KEY_ID}: unknown signing key {key_id!r}"
        elif key.partner_id != partner_id:
            problems[event.id] = (f"{signatures.KEY_ID}: key {key_id} belongs to another partner, "
                                  f"not to data.partner_id {partner_id!r}")
        elif key.revoked_at is not None:
            problems[event.id] = f"{signatures.KEY_ID}: key {key_id} was revoked at {key.revoked_at.isoformat()}"
        else:
            try:
                signatures.verify(event, _raw_key(key.public_key), key_id)
            except signatures.SignatureProblem as problem:
                problems[event.id] = str(problem)
    return problems
