"""The outcome recorder while the database is away (a restart, a failover), on SQLite and
PostgreSQL: it keeps trying while the mails' lease holds, so an accepted mail is recorded once
the database answers instead of being sent again after the lease (ADR 8). A write that fails
the same way each time (a bug, a row it cannot take) is not tried for the whole lease: the
rest of its batch is recorded around the one outcome that fails."""

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from npa.infrastructure.backoff import Backoff
from npa.infrastructure.outbox import utcnow
from services.notifications import domain, metrics
from services.notifications.sending import recorder as recorder_module
from services.notifications.sending.recorder import OutcomeRecorder
from services.notifications.usecases import outcomes
from services.notifications.usecases.claims import claim_due
from tests.support.notifications import deliveries, notifications_runtime, subscribe

NOW = utcnow() - timedelta(minutes=1)


def database_away(monkeypatch, failures: int | None) -> list[int]:  # noqa: ANN001
    """`outcomes.record` fails `failures` times (None: always) as a database that went away
    does; backoff in milliseconds. Returns the list of calls, one entry each."""
    real, calls = outcomes.record, []

    def record(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if failures is None or len(calls) <= failures:
            raise OperationalError("UPDATE deliveries …", {}, ConnectionError("the database system is shutting down"))
        return real(*args, **kwargs)

    monkeypatch.setattr(outcomes, "record", record)
    monkeypatch.setattr(recorder_module, "WRITE_BACKOFF", Backoff(base_seconds=0.005, max_seconds=0.02, jitter=0.0))
    return calls


def claimed(runtime, count: int) -> list:  # noqa: ANN001
    for n in range(count):
        subscribe(runtime, f"reader{n}@example.org", NOW)
    with Session(runtime.engine, expire_on_commit=False) as session:
        return claim_due(session, utcnow(), limit=100, lease=timedelta(seconds=60), token="round-1")


async def test_outcomes_are_recorded_once_the_database_answers_while_their_lease_holds(database_url, monkeypatch):  # noqa: ANN001
    with notifications_runtime(database_url) as runtime:
        due = claimed(runtime, 5)
        calls = database_away(monkeypatch, failures=12)  # the old budget gave up after 5
        recorder = OutcomeRecorder(runtime.engine, runtime.sender.policy)
        for mail in due:
            recorder.add(outcomes.Outcome(mail, outcomes.SENT, utcnow()), time.monotonic() + 60)
        assert await recorder.close() == 5
        assert len(calls) >= 13
        assert {(d.status, d.claim_token) for d in deliveries(runtime)} == {(domain.DELIVERY_SENT, None)}


async def test_outcomes_stay_leased_when_the_lease_ends_first(database_url, monkeypatch, caplog):  # noqa: ANN001
    with notifications_runtime(database_url) as runtime:
        due = claimed(runtime, 3)
        database_away(monkeypatch, failures=None)
        recorder = OutcomeRecorder(runtime.engine, runtime.sender.policy)
        for mail in due:
            recorder.add(outcomes.Outcome(mail, outcomes.SENT, utcnow()), time.monotonic() + 0.3)
        with caplog.at_level(logging.ERROR):
            assert await recorder.close() == 0  # gave up: past the lease another round may take them
        assert "before their lease ends" in caplog.text
        assert {(d.status, d.claim_token) for d in deliveries(runtime)} == {(domain.DELIVERY_PENDING, "round-1")}


async def test_a_stop_while_the_database_is_away_leaves_no_write_behind(database_url, monkeypatch):  # noqa: ANN001
    with notifications_runtime(database_url) as runtime:
        due = claimed(runtime, 2)
        calls = database_away(monkeypatch, failures=None)
        recorder = OutcomeRecorder(runtime.engine, runtime.sender.policy)
        for mail in due:
            recorder.add(outcomes.Outcome(mail, outcomes.SENT, utcnow()), time.monotonic() + 60)
        closing = asyncio.create_task(recorder.close())
        while len(calls) < 3:  # retrying while the lease holds
            await asyncio.sleep(0.01)
        closing.cancel()  # the service stops (the sender's shutdown cancels its round)
        with contextlib.suppress(asyncio.CancelledError):
            await closing
        await asyncio.sleep(0.05)
        names = {task.get_name() for task in asyncio.all_tasks() if not task.done()}
        assert not names & {"mail-outcome-recorder", "mail-outcome-write"}
        tried = len(calls)
        await asyncio.sleep(0.1)
        assert len(calls) == tried  # nothing tries on after the stop
        assert {(d.status, d.claim_token) for d in deliveries(runtime)} == {(domain.DELIVERY_PENDING, "round-1")}


async def test_a_write_that_fails_each_time_is_written_around_the_outcome_that_fails(database_url, monkeypatch,  # noqa: ANN001
                                                                                   caplog):
    with notifications_runtime(database_url) as runtime:
        due = claimed(runtime, 7)
        poisoned = due[4].delivery.id
        real, calls = outcomes.record, []

        def record(session, batch, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            calls.append(len(batch))
            if any(outcome.mail.delivery.id == poisoned for outcome in batch):
                raise IntegrityError("UPDATE deliveries …", {}, ValueError("a row the write cannot take"))
            return real(session, batch, *args, **kwargs)

        monkeypatch.setattr(outcomes, "record", record)
        # An outage's retries would take minutes with this backoff: the test would time out.
        monkeypatch.setattr(recorder_module, "WRITE_BACKOFF", Backoff(base_seconds=60, max_seconds=60, jitter=0.0))
        unrecorded = metrics.UNRECORDED._value.get()  # noqa: SLF001
        recorder = OutcomeRecorder(runtime.engine, runtime.sender.policy)
        for mail in due:
            recorder.add(outcomes.Outcome(mail, outcomes.SENT, utcnow()), time.monotonic() + 120)
        with caplog.at_level(logging.WARNING):
            assert await recorder.close() == 6
        assert calls[0] == 7 and len(calls) <= 2 * 7  # halves down to the one that fails, no retries
        assert metrics.UNRECORDED._value.get() == unrecorded + 1  # noqa: SLF001
        said = [entry for entry in caplog.records if entry.levelno >= logging.WARNING]
        assert [entry.getMessage()[:60] for entry in said] == [
            f"cannot record the outcome of delivery {poisoned} (IntegrityError"[:60]]
        assert said[0].exc_info is not None  # the traceback, for the bug
        states = {d.id: (d.status, d.claim_token) for d in deliveries(runtime)}
        assert states.pop(poisoned) == (domain.DELIVERY_PENDING, "round-1")  # left to its lease
        assert set(states.values()) == {(domain.DELIVERY_SENT, None)} and len(states) == 6
