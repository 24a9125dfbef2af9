"""The rebuild's inbox in memory (services/reports/replay_inbox.py) sorts every batch exactly as
the live inbox does and writes the same rows, on SQLite and PostgreSQL: redelivered copies in
the same and in a later batch, stale versions, events without a version, a batch whose
transaction was rolled back and is tried again; also with a bitmap of eight bits (every id
collides) and room for one entity (the rest looked up as live)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.infrastructure import inbox
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.inbox import EntityVersion, InboxEvent
from services.reports.replay_inbox import ReplayInbox

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "reports" / "migrations"
TOPIC = "npa.offers.v1"


def event(event_id: str, subject: str, version: int | None) -> CloudEvent:
    data = {"id": subject} if version is None else {"id": subject, "version": version}
    return CloudEvent(id=event_id, source="/test", type="de.npa.offer.updated", subject=subject,
                      time=datetime(2026, 3, 1, tzinfo=UTC), data=data)


A1, A2, A3 = event("a1", "offer-a", 1), event("a2", "offer-a", 2), event("a3", "offer-a", 3)
B1, B2 = event("b1", "offer-b", 1), event("b2", "offer-b", 2)
N1, N2 = event("n1", "note", None), event("n2", "note", None)
BATCHES = [
    [A1, A2, N1, A2, B1],  # a copy within the batch
    [A1, B2, N1, event("a2-late", "offer-a", 2), N2],  # copies of the first batch; a stale version with a new id
    [A3, B1, event("b1-late", "offer-b", 1), N2, A3],
]


def sorted_out(admission: object, session: Session, batch: list[CloudEvent]) -> tuple[list[str], ...]:
    admitted = admission.admit(session, TOPIC, batch)  # type: ignore[attr-defined]
    admission.record(session, admitted)  # type: ignore[attr-defined]
    return tuple([event.id for event in events] for events in (admitted.fresh, admitted.duplicates, admitted.stale))


def stored(session: Session) -> tuple[list, list]:
    ids = session.execute(select(InboxEvent.event_id).order_by(InboxEvent.event_id)).scalars().all()
    versions = session.execute(select(EntityVersion.entity, EntityVersion.version).order_by(EntityVersion.entity)).all()
    return list(ids), [tuple(row) for row in versions]


def replay(url: str, admission: object, roll_back_first: bool = False) -> tuple[list, tuple[list, list]]:
    run_migrations(MIGRATIONS, url)
    engine = make_engine(url)
    outcomes = []
    try:
        for batch in BATCHES:
            if roll_back_first:  # the transaction fails after admitting and writing: nothing of it stays
                with Session(engine) as session:
                    sorted_out(admission, session, batch)
                    session.rollback()
            with Session(engine) as session:
                outcomes.append(sorted_out(admission, session, batch))
                session.commit()
        with Session(engine) as session:
            return outcomes, stored(session)
    finally:
        engine.dispose()


@pytest.mark.parametrize("admission", [
    pytest.param(ReplayInbox, id="default"),
    pytest.param(lambda: ReplayInbox(id_bits=8, max_entities=1), id="colliding-ids-one-entity"),
])
def test_the_replay_inbox_sorts_and_records_as_the_live_inbox(database_url: str, tmp_path: Path, admission) -> None:  # noqa: ANN001
    live_url = f"sqlite:///{tmp_path}/live.db"
    expected = replay(live_url, inbox)
    assert replay(database_url, admission()) == expected
    outcomes, (ids, versions) = expected
    assert [duplicates for _fresh, duplicates, _stale in outcomes] == [["a2"], ["a1", "n1"], ["b1", "n2", "a3"]]
    assert [stale for _fresh, _duplicates, stale in outcomes] == [[], ["a2-late"], ["b1-late"]]
    assert len(ids) == 9 and versions == [(f"{TOPIC}:offer-a", 3), (f"{TOPIC}:offer-b", 2)]


def test_a_rolled_back_batch_is_fresh_when_tried_again(database_url: str, tmp_path: Path) -> None:
    expected = replay(f"sqlite:///{tmp_path}/live.db", inbox)
    assert replay(database_url, ReplayInbox(), roll_back_first=True) == expected
