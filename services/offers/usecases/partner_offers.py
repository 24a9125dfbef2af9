"""Partner offers by (partner, external id): one at a time from the REST routes, in bulk from
the bus (`npa.partner.offers.v1`) and from import files.

`upsert_partner_offer` and `withdraw_partner_offer` (PUT and DELETE of one offer) open their own
transaction and reuse the offer use cases. The bulk path is one for the bus and for imports:
a batch is planned first — partners, existing offers and providers read in three queries,
every change decided in order in memory, so a later change of the same offer sees the
earlier one — and then written: new offers in one multi-row insert, changed ones in one
bulk update, their events staged in one insert. A rejected change writes nothing. The bus
handler runs in the consumer's batch transaction; `import_partner_changes` gives each chunk
of an import file a transaction of its own.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Dialect, insert
from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, new_event
from npa.contracts.events import offers as offer_events
from npa.contracts.events import partner_offers as partner_events
from npa.contracts.offer_body import OfferBody
from npa.contracts.reference import today_in_lower_saxony
from npa.infrastructure.consumer import RejectedEvent, each_valid
from npa.infrastructure.database import lock_for_write
from npa.infrastructure.lookup import Lookup
from npa.infrastructure.outbox import stage_many, utcnow
from npa.infrastructure.prepared import Prepared
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers import domain
from services.offers.domain.search import search_columns
from services.offers.models import Offer, Partner, new_id
from services.offers.usecases.known_actors import UNKNOWN_ACTOR, active_among
from services.offers.usecases import signing_keys
from services.offers.usecases.offers import find_partner_offer, offer_event_data, offer_state, save_offer, withdraw_offer
from services.offers.usecases.partners import load_partner
from services.offers.usecases.signing_keys import SignatureWindow

CREATED, UPDATED, UNCHANGED, WITHDRAWN, REJECTED = "created", "updated", "unchanged", "withdrawn", "rejected"


class PartnerOfferNotFound(LookupError):
    def __init__(self, partner_id: str, external_id: str) -> None:
        super().__init__(f"offer {external_id} of partner {partner_id} not found")


def upsert_partner_offer(uow: UnitOfWork, partner_id: str, external_id: str, body: OfferBody, *,
                         base_url: str) -> tuple[dict, str]:
    """The offer's state and CREATED, UPDATED or UNCHANGED; raises PartnerNotFound or
    OfferRejected (with nothing written)."""
    with uow.transaction() as session:
        partner = load_partner(session, partner_id)
        existing = find_partner_offer(session, partner_id, external_id, for_update=True)
        offer, decision = save_offer(session, existing, body, base_url=base_url, partner_id=partner_id,
                                     external_id=external_id, default_provider=partner.actor_id)
        session.commit()
    result = CREATED if existing is None else (UPDATED if decision.changes_anything else UNCHANGED)
    return offer_state(offer, decision.changed_fields, base_url), result


def withdraw_partner_offer(uow: UnitOfWork, partner_id: str, external_id: str, *, base_url: str) -> None:
    """Withdrawing a withdrawn offer changes nothing."""
    with uow.transaction() as session:
        offer = find_partner_offer(session, partner_id, external_id, for_update=True)
        if offer is None:
            raise PartnerOfferNotFound(partner_id, external_id)
        withdraw_offer(session, offer, base_url=base_url)
        session.commit()


@dataclass(frozen=True)
class PartnerChange:
    """One instruction of a partner: the offer's new body, or `None` to withdraw it."""

    partner_id: str
    external_id: str
    body: OfferBody | None


@dataclass(frozen=True)
class ChangeOutcome:
    result: str
    offer_id: str | None = None
    field: str | None = None  # with REJECTED: the field at fault, e.g. "provider_actor_id"
    reason: str = ""


@dataclass
class _OfferRow:
    values: dict[str, Any]
    is_new: bool
    touched: bool = False


@dataclass
class Plan:
    outcomes: list[ChangeOutcome] = field(default_factory=list)
    rows: dict[tuple[str, str], _OfferRow] = field(default_factory=dict)
    events: list[CloudEvent] = field(default_factory=list)

    @property
    def rejected(self) -> list[tuple[int, ChangeOutcome]]:
        return [(index, outcome) for index, outcome in enumerate(self.outcomes) if outcome.result == REJECTED]

    def write(self, session: Session) -> None:
        fresh = [row.values for row in self.rows.values() if row.touched and row.is_new]
        changed = [row.values for row in self.rows.values() if row.touched and not row.is_new]
        dialect = session.get_bind().dialect
        _insert_offers(dialect).run(session, fresh)
        _update_offers(dialect).run(session, changed)
        stage_many(session, topics.OFFERS, self.events)


_COLUMNS = ("id", "version", "status", "title", "district", "ends_on", "body", "partner_id", "external_id",
            "created_at", "updated_at", "search_text")  # every column: a changed row is written whole
_CHANGING = tuple(name for name in _COLUMNS if name not in ("id", "partner_id", "external_id", "created_at"))
# Built once: per batch, building them cost more than running them (npa/infrastructure/inbox.py).
_OFFERS, _PARTNERS = Offer.__table__, Partner.__table__  # type: ignore[attr-defined]


# Read on the driver's cursor (npa/infrastructure/lookup.py): both run for every batch.
@functools.cache
def _active_partners(dialect: Dialect) -> Lookup:
    return Lookup.of(_PARTNERS, ("id", "actor_id"), "id", dialect, true=("active",))


@functools.cache
def _partners_offers(dialect: Dialect) -> Lookup:  # the unique index answers (no row-value IN)
    # Locked: an editor's withdrawal or a REST upsert of the same offer committed between this
    # read and the batch's write would otherwise be overwritten (test_offers_concurrent_writes.py, ADR 26).
    return Lookup.of(_OFFERS, _COLUMNS, "external_id", dialect, equal=("partner_id",), for_update=True)


# Prepared (npa/infrastructure/prepared.py): SQLAlchemy's per-row parameter processing was
# 14 % of the offers process at batch 500 (py-spy, ADR 9, 2026-11-30 evening).
@functools.cache
def _insert_offers(dialect: Dialect) -> Prepared:
    return Prepared.of(insert(_OFFERS), dialect, columns=_COLUMNS)


@functools.cache
def _update_offers(dialect: Dialect) -> Prepared:
    return Prepared.update_by_key(_OFFERS, "id", _CHANGING, dialect)


def plan_partner_changes(session: Session, changes: list[PartnerChange], *, base_url: str,
                         today: date | None = None) -> Plan:
    today = today or today_in_lower_saxony()
    dialect = session.get_bind().dialect
    lock_for_write(session)
    partners = {partner.id: partner for partner in  # named tuples (id, actor_id)
                _active_partners(dialect).rows(session, {change.partner_id for change in changes})}
    plan = Plan()
    wanted: dict[str, set[str]] = {}
    for change in changes:
        if change.partner_id in partners:
            wanted.setdefault(change.partner_id, set()).add(change.external_id)
    for partner_id, external_ids in sorted(wanted.items()):  # one lock order for every batch
        for row in _partners_offers(dialect).rows(session, external_ids, partner_id):
            values = dict(zip(_COLUMNS, row, strict=True))
            plan.rows[(partner_id, values["external_id"])] = _OfferRow(values, is_new=False)
    providers = {change.body.provider_actor_id or partners[change.partner_id].actor_id
                 for change in changes if change.body is not None and change.partner_id in partners}
    active = active_among(session, {provider for provider in providers if provider})
    now = utcnow()
    for change in changes:
        partner = partners.get(change.partner_id)
        if partner is None:
            plan.outcomes.append(ChangeOutcome(REJECTED, field="partner_id",
                                               reason=f"unknown partner {change.partner_id!r}"))
            continue
        row = plan.rows.get((partner.id, change.external_id))
        if change.body is None:
            plan.outcomes.append(_withdraw(plan, row, change, now, base_url))
        else:
            plan.outcomes.append(_upsert(plan, row, change, partner, active, today, now, base_url))
    return plan


def _withdraw(plan: Plan, row: _OfferRow | None, change: PartnerChange, now: datetime, base_url: str) -> ChangeOutcome:
    if row is None:
        return ChangeOutcome(REJECTED, field="external_id", reason=f"partner has no offer {change.external_id!r}")
    decision = domain.decide_withdrawal(row.values["status"])
    if not decision.changes_anything:
        return ChangeOutcome(UNCHANGED, row.values["id"])
    row.values.update(version=row.values["version"] + 1, status=domain.WITHDRAWN, updated_at=now)
    _announce(plan, row, decision, base_url)
    return ChangeOutcome(WITHDRAWN, row.values["id"])


def _upsert(plan: Plan, row: _OfferRow | None, change: PartnerChange, partner: Any, active: set[str],
            today: date, now: datetime, base_url: str) -> ChangeOutcome:
    body = change.body
    assert body is not None
    proposed = body.state()
    if proposed.get("provider_actor_id") is None:
        proposed["provider_actor_id"] = partner.actor_id
    provider = proposed["provider_actor_id"]
    offer_id = row.values["id"] if row else None
    if provider is not None and provider not in active:
        return ChangeOutcome(REJECTED, offer_id, "provider_actor_id", UNKNOWN_ACTOR.format(provider))
    if domain.is_past_end(body.ends_on, today):
        return ChangeOutcome(REJECTED, offer_id, "ends_on",
                             f"the offer ended on {body.ends_on}; an ended offer cannot be published")
    decision = domain.decide_upsert(row.values["body"] if row else None, row.values["status"] if row else None,
                                    proposed)
    if not decision.changes_anything:
        return ChangeOutcome(UNCHANGED, offer_id)
    if row is None:
        row = plan.rows[(partner.id, change.external_id)] = _OfferRow(
            {"id": new_id(), "version": 1, "partner_id": partner.id, "external_id": change.external_id,
             "created_at": now}, is_new=True)
        result = CREATED
    else:
        row.values["version"] += 1
        result = UPDATED
    row.values.update(status=domain.PUBLISHED, title=body.title, body=proposed, district=proposed["district"],
                      ends_on=body.ends_on, updated_at=now, **search_columns(proposed))
    _announce(plan, row, decision, base_url)
    return ChangeOutcome(result, row.values["id"])


def _announce(plan: Plan, row: _OfferRow, decision: domain.Decision, base_url: str) -> None:
    row.touched = True
    values = row.values
    data = offer_event_data(values["id"], values["version"], values["status"], values["body"],
                            values["partner_id"], values["external_id"], decision.changed_fields, base_url)
    plan.events.append(new_event(source=offer_events.SOURCE, type=decision.event_type or "", subject=values["id"],
                                 data=data))


def apply_partner_changes(session: Session, changes: list[PartnerChange], *, base_url: str,
                          today: date | None = None) -> list[ChangeOutcome]:
    """Plan and write; rejected changes are reported and write nothing (REST bulk import)."""
    plan = plan_partner_changes(session, changes, base_url=base_url, today=today)
    plan.write(session)
    return plan.outcomes


def import_partner_changes(uow: UnitOfWork, changes: list[PartnerChange], *, base_url: str) -> list[ChangeOutcome]:
    """One chunk of an import file in a transaction of its own, so a chunk the database refuses
    (IntegrityError, raised after the rollback) does not undo the chunks before it."""
    with uow.transaction() as session:
        outcomes = apply_partner_changes(session, changes, base_url=base_url)
        session.commit()
    return outcomes


def on_partner_offer_events(session: Session, events: list[CloudEvent], base_url: str,
                            signature_window: SignatureWindow) -> None:
    """Upserts and deletions from partner systems on the bus, each signed by the partner it
    names (ADR 0013); a refused one is parked on the topic's `.dlq` by the consumer (the rest
    of the batch is applied without it)."""
    changes: list[PartnerChange] = []
    for event in events:
        model = partner_events.PartnerOfferUpserted if event.type == partner_events.UPSERTED \
            else partner_events.PartnerOfferDeleted
        _, message = next(each_valid([event], model))
        if event.source != partner_events.source_of(message.partner_id):
            raise RejectedEvent(f"source: {event.source!r} does not match data.partner_id {message.partner_id!r}",
                                event)
        body = message.offer if isinstance(message, partner_events.PartnerOfferUpserted) else None
        changes.append(PartnerChange(message.partner_id, message.external_id, body))
    refused = signing_keys.check_signed(session, events, signature_window)
    for event in events:
        if event.id in refused:
            raise RejectedEvent(refused[event.id], event)
    plan = plan_partner_changes(session, changes, base_url=base_url)
    for index, outcome in plan.rejected:
        where = outcome.field if outcome.field in ("partner_id", "external_id") else f"offer.{outcome.field}"
        raise RejectedEvent(f"data.{where}: {outcome.reason}", events[index])
    plan.write(session)
