"""What offer, example and actor events mean for subscribers: alerts, notices, digest items.

The batch handlers (handlers.py) run inside the consumer's transaction and touch no network.
A batch's item states go into `item_snapshots` in one multi-row insert; then each event, in
partition order, queues its recipients straight from the filing index (usecases.audience):
one INSERT … SELECT into `deliveries` for immediate readers and one into `digest_items` for
digest readers, however many recipients there are. In order, because an update after a
publish in the same batch must find the alerts the publish queued, as if applied one by one.
"""

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Dialect, case, insert, literal, select, union_all
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import offers as offer_events
from npa.infrastructure.consumer import each_valid
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.prepared import Prepared
from services.notifications import domain
from services.notifications.models import Delivery, DigestItem, ItemSnapshot
from services.notifications.models import SubscriptionTarget as T
from services.notifications.usecases import audience, fanout
from services.notifications.usecases.row_ids import row_id

IMMEDIATE_KIND = {domain.NEW: domain.ALERT, domain.CHANGED: domain.UPDATE, domain.WITHDRAWN: domain.WITHDRAWAL}
ROWCOUNT = {"preserve_rowcount": True}  # SQLAlchemy reports rows of an INSERT … SELECT only when asked
Recipients = Callable[[tuple[str, ...]], Select]  # frequencies → (subscription_id, change) rows


def on_offer_events(session: Session, events: list[CloudEvent]) -> int:
    """Returns how many deliveries and digest items were queued (as do the other two).

    A run of published offers is queued together (usecases.fanout); an update or withdrawal
    waits for the run before it, since it must find the alerts that run queued."""
    batch = [(event, offer.model_dump(mode="json")) for event, offer in each_valid(events, offer_events.OfferState)]
    record_snapshots(session, batch)
    before = previous_states(session, [data for event, data in batch if event.type == offer_events.UPDATED])
    queued, run = 0, []
    for event, data in batch:
        if event.type == offer_events.PUBLISHED:
            if data["status"] == "published":
                run.append(fanout.NewItem(event, data["id"], data["version"], data["fields"], _places(data)))
            continue
        queued += fanout.queue_new(session, domain.AUDIENCE_OFFERS, run)
        run = []
        queued += _offer(session, event, data, before)
    return queued + fanout.queue_new(session, domain.AUDIENCE_OFFERS, run)


def on_example_events(session: Session, events: list[CloudEvent]) -> int:
    batch = [(event, example.model_dump(mode="json"))
             for event, example in each_valid(events, example_events.ExampleState)]
    record_snapshots(session, batch)
    return fanout.queue_new(session, domain.AUDIENCE_EXAMPLES, [
        fanout.NewItem(event, data["id"], data.get("version") or 0, data["fields"], _places(data))
        for event, data in batch if event.type == example_events.PUBLISHED and data["status"] == "published"])


def on_actor_events(session: Session, events: list[CloudEvent]) -> int:
    batch = [(event, actor.model_dump(mode="json")) for event, actor in each_valid(events, actor_events.ActorState)]
    record_snapshots(session, batch)
    return fanout.queue_new(session, domain.AUDIENCE_ACTORS, [
        fanout.NewItem(event, data["id"], data.get("version") or 0, data["fields"], data["districts"])
        for event, data in batch if event.type == actor_events.REGISTERED and data["active"]])


def record_snapshots(session: Session, batch: Sequence[tuple[CloudEvent, dict[str, Any]]]) -> None:
    rows = []
    now = utcnow()
    for event, data in batch:
        kind = domain.item_kind_of(event.type)
        rows.append({"event_id": event.id, "event_type": event.type, "item_kind": kind, "item_id": data["id"],
                     "item_version": data.get("version"), "event_time": event.time, "data": data,
                     "live": domain.is_live(kind, data), "received_at": now})
    _insert_snapshots(session.get_bind().dialect).run(session, rows)


@functools.cache
def _insert_snapshots(dialect: Dialect) -> Prepared:
    """Every offer event writes one (npa/infrastructure/prepared.py): through SQLAlchemy's
    executemany the snapshots were a sixth of the service's time while partners synced."""
    return Prepared.of(insert(ItemSnapshot.__table__), dialect)  # type: ignore[attr-defined]


def _offer(session: Session, event: CloudEvent, data: dict[str, Any],
           previous: dict[tuple[str, int], dict[str, Any]]) -> int:
    item_id = data["id"]
    if event.type == offer_events.WITHDRAWN:
        return _queue(session, event, data, lambda frequencies: _as(
            audience.told_and_active(item_id, frequencies), domain.WITHDRAWN))
    if data["status"] != "published" or event.type not in (offer_events.PUBLISHED, offer_events.UPDATED):
        return 0  # expired: the reader knew the end date; digests leave it out
    if event.type == offer_events.PUBLISHED:
        return _queue(session, event, data, _new(domain.AUDIENCE_OFFERS, data["fields"], _places(data)))
    if not domain.matters_to_reader(data["changed_fields"]):
        return 0
    # Those told about the offer hear what changed, even if it moved out of their regions;
    # those it concerns only now hear of it as new; those it concerned all along but who
    # subscribed later hear nothing about an offer they never saw.
    before = previous.get((item_id, data["version"]))

    def recipients(frequencies: tuple[str, ...]) -> Select:
        new = audience.wanting(domain.AUDIENCE_OFFERS, data["fields"], _places(data), frequencies)
        new = new.where(audience.not_told(T.subscription_id, item_id))
        if before is not None:
            new = new.where(~audience.wanted_before(T.subscription_id, before.get("fields", []), _places(before)))
        return union_all(_as(audience.told_and_active(item_id, frequencies), domain.CHANGED),
                         _as(new, domain.NEW))  # type: ignore[return-value]

    changed = sorted(domain.READER_RELEVANT_OFFER_CHANGES & set(data["changed_fields"]))
    return _queue(session, event, data, recipients, changed)


def previous_states(session: Session, updates: Sequence[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """For each updated offer state, (id, version) → the newest state stored before it, in one
    query for the batch (the batch's own snapshots are stored already, as if applied in order)."""
    wanted = {(data["id"], data["version"]) for data in updates}
    found: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    item_ids = sorted({item_id for item_id, _version in wanted})
    for start in range(0, len(item_ids), 500):
        rows = session.execute(select(ItemSnapshot.item_id, ItemSnapshot.item_version, ItemSnapshot.data).where(
            ItemSnapshot.item_kind == domain.OFFER, col(ItemSnapshot.item_id).in_(item_ids[start:start + 500]),
            col(ItemSnapshot.item_version).is_not(None)))
        by_item: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for item_id, version, data in rows:
            by_item.setdefault(item_id, []).append((version, data))
        for item_id, version in wanted:
            earlier = [state for state in by_item.get(item_id, []) if state[0] < version]
            if earlier:
                found[(item_id, version)] = max(earlier, key=lambda state: state[0])
    return {key: data for key, (_version, data) in found.items()}


def _places(data: dict[str, Any]) -> list[str]:
    return [] if data.get("district") is None else [data["district"]]


def _new(audience_name: str, fields: Iterable[str], places: Iterable[str]) -> Recipients:
    fields, places = list(fields), list(places)
    return lambda frequencies: _as(audience.wanting(audience_name, fields, places, frequencies), domain.NEW)


def _as(query: Select, change: str) -> Select:
    return query.add_columns(literal(change).label("change"))


def _queue(session: Session, event: CloudEvent, data: dict[str, Any], recipients: Recipients,
           changed_fields: list[str] | None = None) -> int:
    """Queue a mail for each immediate recipient and a digest item for each digest recipient."""
    now, dialect = utcnow(), session.get_bind().dialect.name
    times = Delivery.__table__.c.created_at.type  # type: ignore[attr-defined]
    to_mail = recipients((domain.IMMEDIATE,)).subquery()
    subscription, change = to_mail.c[0], to_mail.c.change
    mails = select(row_id(dialect), subscription, case(IMMEDIATE_KIND, value=change), literal(event.id), literal(event.type),
                   literal(data["id"]), literal(domain.DELIVERY_PENDING), literal(0), literal(event.time, times),
                   literal(now, times), literal(now, times))
    queued = session.execute(insert(Delivery).from_select(
        ["id", "subscription_id", "kind", "event_id", "event_type", "item_id", "status", "attempts", "event_time",
         "created_at", "next_attempt_at"], mails), execution_options=ROWCOUNT).rowcount
    to_digest = recipients(domain.DIGEST_FREQUENCIES).subquery()
    items = select(row_id(dialect), to_digest.c[0], literal(event.id), literal(domain.item_kind_of(event.type)),
                   literal(data["id"]), literal(data.get("version") or 0), to_digest.c.change,
                   literal(changed_fields or [], DigestItem.__table__.c.changed_fields.type),  # type: ignore[attr-defined]
                   literal(now, times))
    queued += session.execute(insert(DigestItem).from_select(
        ["id", "subscription_id", "event_id", "item_kind", "item_id", "item_version", "change", "changed_fields",
         "created_at"], items), execution_options=ROWCOUNT).rowcount
    return queued
