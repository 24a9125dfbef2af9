"""Partners' signing keys: register a public key, list, revoke; and the check that a batch of
partner messages was signed by the partner each names (ADR 0013)."""

import base64
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Dialect, select
from sqlmodel import Session

from npa.contracts import signatures
from npa.contracts.envelope import CloudEvent
from npa.infrastructure.lookup import Lookup
from npa.infrastructure.outbox import utcnow
from services.offers.models import PartnerSigningKey


@dataclass(frozen=True)
class SignatureWindow:
    """How old (and how far ahead) a signed message may be. `max_age` stays below the inbox's
    retention, so a replay is either still a repeat for the inbox or already too old."""

    max_age: timedelta = timedelta(hours=72)
    max_skew: timedelta = timedelta(minutes=5)


class KeyTaken(ValueError):
    """The public key is registered already (for this or another partner)."""


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


def revoke(session: Session, key: PartnerSigningKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)


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
    keys = {key.id: key for key in _keys_by_id(session.get_bind().dialect).rows(session, sorted(set(claimed.values())))}
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
