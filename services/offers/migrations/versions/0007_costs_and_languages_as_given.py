"""costs and languages as given: the old defaults ("kostenlos", ["de"]) become "not stated"

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00.000000

Until now an offer sent without `costs` was stored as "kostenlos" and one without `languages`
as ["de"]. The stored body cannot tell such a default from a stated value, so every offer whose
body holds exactly the old default is set to "not stated" (null) — the safe direction: an
unknown price is never shown or counted as free (ADR 19). Each published offer changed here
gets version + 1 and a `de.npa.offer.updated` event (changed_fields `costs`/`languages`) in the
outbox, in this transaction, so the reports and notifications copies, and any replay of the
topic, end in the corrected state; such a change is not worth a mail (not reader-relevant).
A partner that did state "kostenlos" or ["de"] gets it back with its next sync (a different
body → an update). The search columns are derived again (the "free" facet).

The downgrade writes the old defaults back into bodies that have none (it cannot know which
were defaulted originally); it stages no events.
"""
from datetime import UTC, datetime
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from npa.contracts.envelope import encode, new_event
from npa.contracts.events import offers as offer_events
from npa.infrastructure.settings import public_base_url
from services.offers.domain import search

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 1000
OLD_COSTS, OLD_LANGUAGES = "kostenlos", ["de"]
offers = sa.table("offers", *(sa.column(name, sa.String) for name in (
    "id", "status", "partner_id", "external_id")), sa.column("version", sa.Integer), sa.column("body", sa.JSON),
    sa.column("search_text", sa.Text), sa.column("updated_at", sa.DateTime))
outbox = sa.table("outbox", *(sa.column(name, sa.String) for name in ("event_id", "topic", "key", "event_type")),
                  sa.column("payload", sa.LargeBinary), sa.column("created_at", sa.DateTime),
                  sa.column("attempts", sa.Integer))


def corrected(body: dict) -> tuple[dict, list[str]]:
    """The body with the old defaults as "not stated", and the names that changed."""
    changed = [name for name, old in (("costs", OLD_COSTS), ("languages", OLD_LANGUAGES)) if body.get(name) == old]
    return {**body, **{name: None for name in changed}}, changed


def upgrade() -> None:
    connection = op.get_bind()
    base_url = public_base_url("offers")
    now = datetime.now(UTC)
    last = ""
    while True:
        rows = connection.execute(sa.select(offers).where(offers.c.id > last).order_by(offers.c.id)
                                  .limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        updates, events = [], []
        for row in rows:
            body, changed = corrected(row.body)
            if not changed:
                continue
            published = row.status == "published"
            version = row.version + 1 if published else row.version
            updates.append({"offer_id": row.id, "new_body": body, "new_version": version, "now": now,
                            "new_text": search.search_columns(body)["search_text"]})
            if published:
                event = new_event(source=offer_events.SOURCE, type=offer_events.UPDATED, subject=row.id, data={
                    **body, "id": row.id, "version": version, "status": row.status, "partner_id": row.partner_id,
                    "external_id": row.external_id, "changed_fields": changed,
                    "url": f"{base_url}/offers/{row.id}"})
                events.append({"event_id": event.id, "topic": "npa.offers.v1", "key": row.id,
                               "event_type": event.type, "payload": encode(event), "created_at": now, "attempts": 0})
        if updates:
            connection.execute(offers.update().where(offers.c.id == sa.bindparam("offer_id")).values(
                body=sa.bindparam("new_body"), version=sa.bindparam("new_version"),
                search_text=sa.bindparam("new_text"), updated_at=sa.bindparam("now")), updates)
        if events:
            connection.execute(outbox.insert(), events)


def downgrade() -> None:
    connection = op.get_bind()
    last = ""
    while True:
        rows = connection.execute(sa.select(offers.c.id, offers.c.body).where(offers.c.id > last)
                                  .order_by(offers.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        updates = []
        for row in rows:
            if row.body.get("costs") is None or row.body.get("languages") is None:
                body = {**row.body, "costs": row.body.get("costs") or OLD_COSTS,
                        "languages": row.body.get("languages") or OLD_LANGUAGES}
                updates.append({"offer_id": row.id, "new_body": body,
                                "new_text": search.search_columns(body)["search_text"]})
        if updates:
            connection.execute(offers.update().where(offers.c.id == sa.bindparam("offer_id")).values(
                body=sa.bindparam("new_body"), search_text=sa.bindparam("new_text")), updates)
