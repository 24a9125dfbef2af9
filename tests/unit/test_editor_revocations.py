"""Ended editor sessions as a service keeps them (ADR 21), on a real SQLite database: the newest
revocation per editor wins whatever the order and repeats of the events; a session issued at or
before it is void, one issued after it is not; a bad event is rejected by name."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from npa.contracts.envelope import new_event
from npa.contracts.events import editors as editor_events
from npa.infrastructure import editor_revocations
from npa.infrastructure.consumer import RejectedEvent

T = datetime(2026, 11, 30, 9, 0, 0, 500_000, tzinfo=UTC)


def revoked(editor_id: str, at: datetime, reason: str = "disabled"):  # noqa: ANN201
    return new_event(source=editor_events.SOURCE, type=editor_events.SESSIONS_REVOKED, subject=editor_id,
                     data={"editor_id": editor_id, "revoked_at": at.isoformat(), "reason": reason})


@pytest.fixture
def session(tmp_path):  # noqa: ANN001, ANN201
    engine = create_engine(f"sqlite:///{tmp_path}/service.db")
    editor_revocations.EditorRevocation.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_the_newest_revocation_wins_in_any_order(session) -> None:  # noqa: ANN001
    later, earlier = revoked("e-1", T + timedelta(hours=1), "password_changed"), revoked("e-1", T)
    editor_revocations.on_editor_events(session, [later, earlier])
    editor_revocations.on_editor_events(session, [earlier, later, revoked("e-2", T)])  # repeats, another editor
    session.commit()
    assert editor_revocations.revoked_at(session, "e-1") == T + timedelta(hours=1)
    assert editor_revocations.revoked_at(session, "e-2") == T
    assert editor_revocations.revoked_at(session, "e-3") is None


def test_sessions_issued_at_or_before_the_revocation_are_void(session) -> None:  # noqa: ANN001
    editor_revocations.on_editor_events(session, [revoked("e-1", T)])
    whole_second = T.replace(microsecond=0)  # the cookie's timestamp has whole seconds
    assert editor_revocations.is_revoked(session, "e-1", whole_second - timedelta(hours=3))
    assert editor_revocations.is_revoked(session, "e-1", whole_second)
    assert not editor_revocations.is_revoked(session, "e-1", whole_second + timedelta(seconds=1))
    assert not editor_revocations.is_revoked(session, "e-2", whole_second)


def test_an_event_that_does_not_fit_is_rejected_by_name(session) -> None:  # noqa: ANN001
    good = revoked("e-1", T)
    bad = new_event(source=editor_events.SOURCE, type=editor_events.SESSIONS_REVOKED, subject="e-9",
                    data={"editor_id": "e-9", "revoked_at": "gestern", "reason": "disabled", "login": "anna"})
    with pytest.raises(RejectedEvent) as raised:
        editor_revocations.on_editor_events(session, [good, bad])
    assert raised.value.event_id == bad.id and "revoked_at" in str(raised.value)
