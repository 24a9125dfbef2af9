"""The sender against a real SMTP server on loopback, on SQLite and PostgreSQL: a bounded pool
of connections sharing one queue, leases that keep replicas from sending a mail twice, the
rest of a batch given back when the server is in trouble, and a clean stop."""

import asyncio
import contextlib
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from npa.infrastructure.outbox import utcnow
from services.notifications import domain
from services.notifications.sending.recorder import OutcomeRecorder
from services.notifications.usecases import claims, outcomes
from services.notifications.usecases.claims import claim_due
from tests.support.notifications import (
    apply,
    deliveries,
    email_of,
    notifications_runtime,
    offer_event,
    subscribe,
)
from tests.support.processes import free_port

NOW = utcnow() - timedelta(minutes=1)  # confirmation mails are due at once


class CountingHandler:
    """Accepts every mail after `delay` seconds; notes the connection (peer) and how many
    mails were in DATA at the same time."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.peers: set = set()
        self.recipients: list[str] = []
        self.message_ids: list[str] = []
        self.active = 0
        self.most_active = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.active -= 1
        self.peers.add(session.peer)
        self.recipients.extend(envelope.rcpt_tos)
        header = next(line for line in envelope.content.split(b"\r\n") if line.startswith(b"Message-ID:"))
        self.message_ids.append(header.split(b" ", 1)[1].decode())
        return "250 OK"


@contextmanager
def counting_sink(delay: float = 0.0, port: int | None = None):  # noqa: ANN201
    handler = CountingHandler(delay)
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


async def test_connections_are_bounded_and_share_the_queue(database_url):  # noqa: ANN001
    with counting_sink(delay=0.01) as (sink, port), notifications_runtime(database_url, port, connections=3,
                                                                        batch_size=10) as runtime:
        readers = [subscribe(runtime, f"reader{n}@example.org", NOW) for n in range(30)]
        await runtime.sender.send_due()  # 30 confirmations
        event = offer_event(district=None)
        await apply(runtime, event)
        await runtime.sender.send_due()
        assert sorted(sink.recipients) == sorted([f"reader{n}@example.org" for n in range(30)] * 2)
        assert len(sink.message_ids) == len(set(sink.message_ids)) == 60  # one Message-ID per mail
        assert sink.most_active == 3  # never more mails at once than connections
        assert runtime.sender.pool.opened == 3  # three connections, reused for every batch and drain
        await runtime.sender.pool.close_all()
        alerts = deliveries(runtime, event_id=event.id)
        assert {d.status for d in alerts} == {domain.DELIVERY_SENT} and len(alerts) == len(readers)
        assert all(d.attempts == 1 and d.claim_token is None and d.sent_at for d in alerts)


async def test_two_replicas_never_send_the_same_mail(database_url):  # noqa: ANN001
    with counting_sink(delay=0.002) as (sink, port), \
            notifications_runtime(database_url, port, connections=2, batch_size=7) as first, \
            notifications_runtime(database_url, port, connections=2, batch_size=7) as second:
        for n in range(40):
            subscribe(first, f"reader{n}@example.org", NOW)
        taken = await asyncio.gather(first.sender.send_due(), second.sender.send_due())
        assert sum(taken) == 40
        assert sorted(sink.recipients) == sorted(f"reader{n}@example.org" for n in range(40))  # each exactly once


async def test_a_claimed_mail_waits_for_its_lease_and_keeps_its_message_id(database_url):  # noqa: ANN001
    """The window of ADR 8: a replica that crashed after the server accepted a mail but before
    recording it leaves the row leased; it is sent again only when the lease has run out, with
    the same Message-ID, so the receiving side can recognise the repeat."""
    with counting_sink() as (sink, port), notifications_runtime(database_url, port) as runtime:
        reader = subscribe(runtime, "anna@example.org", NOW)
        await runtime.sender.send_due()
        event = offer_event()
        await apply(runtime, event)
        with Session(runtime.engine) as session:  # the crashed replica's claim
            (claimed,) = claim_due(session, utcnow(), limit=10, lease=timedelta(seconds=60), token="crashed")
        assert await runtime.sender.send_due() == 0  # leased: nobody else takes it
        assert await runtime.sender.send_due(utcnow() + timedelta(seconds=61)) == 1
        (delivery,) = deliveries(runtime, event_id=event.id)
        assert delivery.status == domain.DELIVERY_SENT
        assert sink.message_ids[-1] == domain.message_id(reader, event.id, "localhost") == \
            f"{domain.message_id(claimed.delivery.subscription_id, event.id, 'localhost')}"


async def test_while_the_server_is_away_mails_wait_and_none_uses_up_its_tries(database_url):  # noqa: ANN001
    port = free_port()  # nothing listens there yet
    with notifications_runtime(database_url, port, connections=2) as runtime:
        assert runtime.sender.policy.max_attempts == 4
        for n in range(6):
            subscribe(runtime, f"reader{n}@example.org", NOW)
        before = utcnow()
        assert await runtime.sender.send_due() == 6
        confirmations = deliveries(runtime, kind=domain.CONFIRMATION)
        noted = [d for d in confirmations if d.error]
        assert len(noted) == 2 and all("ConnectionRefused" in d.error or "connect" in d.error.lower()
                                       for d in noted)  # one per connection, so operators see why
        assert {d.status for d in confirmations} == {domain.DELIVERY_PENDING}
        assert all(d.claim_token is None and d.attempts == 0 for d in confirmations)
        assert all(d.next_attempt_at.replace(tzinfo=None) > before.replace(tzinfo=None) for d in confirmations)
        for _ in range(6):  # more rounds than a mail has tries: an outage gives no mail up
            assert await runtime.sender.send_due(utcnow() + timedelta(hours=1)) == 6
        confirmations = deliveries(runtime, kind=domain.CONFIRMATION)
        assert {(d.status, d.attempts) for d in confirmations} == {(domain.DELIVERY_PENDING, 0)}
        with counting_sink(port=port) as (sink, _):
            await runtime.sender.send_due(utcnow() + timedelta(hours=1))
        assert {(d.status, d.attempts) for d in deliveries(runtime)} == {(domain.DELIVERY_SENT, 1)}
        assert sorted(sink.recipients) == [f"reader{n}@example.org" for n in range(6)]


async def test_a_server_that_stops_answering_costs_one_attempt_per_connection_and_the_timeout(database_url):  # noqa: ANN001
    with counting_sink(delay=30.0) as (sink, port), notifications_runtime(database_url, port, connections=2) as runtime:
        runtime.sender.policy = replace(runtime.sender.policy, smtp_timeout_seconds=1.0)
        for n in range(3):
            subscribe(runtime, f"reader{n}@example.org", NOW)
        started = time.monotonic()
        assert await runtime.sender.send_due() == 3
        assert time.monotonic() - started < 10  # bounded by the timeout per transaction, not the server's 30 s
        confirmations = deliveries(runtime, kind=domain.CONFIRMATION)
        tried = [d for d in confirmations if d.attempts]
        assert len(tried) == 2 and all("Timeout" in (d.error or "") for d in tried)
        assert {d.status for d in confirmations} == {domain.DELIVERY_PENDING}
        assert all(d.claim_token is None for d in confirmations) and sink.recipients == []


async def test_stopping_finishes_the_mail_on_the_wire_and_gives_back_the_rest(database_url):  # noqa: ANN001
    with counting_sink(delay=0.15) as (sink, port), notifications_runtime(database_url, port, connections=1) as runtime:
        for n in range(8):
            subscribe(runtime, f"reader{n}@example.org", NOW)
        worker = asyncio.create_task(runtime.sender.run())
        deadline = time.monotonic() + 10
        while not sink.active and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        worker.cancel()
        try:
            await worker
        except asyncio.CancelledError:
            pass
        sent = deliveries(runtime, status=domain.DELIVERY_SENT)
        assert 1 <= len(sent) < 8 and len(sink.recipients) == len(sent)  # every accepted mail is recorded
        waiting = deliveries(runtime, status=domain.DELIVERY_PENDING)
        assert all(d.claim_token is None and d.attempts == 0 for d in waiting)
        await runtime.sender.send_due()
        assert sorted(sink.recipients) == sorted(email_of(runtime, d.subscription_id)
                                                 for d in deliveries(runtime, kind=domain.CONFIRMATION))
        assert len(sink.recipients) == 8


async def test_a_mail_queued_while_a_round_sends_leaves_in_that_round_on_its_wake_up(database_url):  # noqa: ANN001
    # A poll far away: only the consumer's wake-up after its commit can bring the alert out.
    with counting_sink() as (sink, port), notifications_runtime(database_url, port, connections=1,
                                                                poll_seconds=600) as runtime:
        subscribe(runtime, "reader@example.org", NOW)  # its confirmation is due
        worker = asyncio.create_task(runtime.sender.run())
        try:
            await wait_for(lambda: len(sink.recipients) == 1)
            round_number = runtime.sender.rounds
            event = offer_event(district=None)
            await apply(runtime, event)  # commits, then wakes the sender
            await wait_for(lambda: len(sink.recipients) == 2)
            assert runtime.sender.rounds == round_number  # claimed by the running round, not a new one
            await wait_for(lambda: deliveries(runtime, event_id=event.id)[0].status == domain.DELIVERY_SENT)
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker


async def test_two_recorder_writes_at_once_keep_the_unrecorded_limit(database_url):  # noqa: ANN001
    """ADR 8's crash bound counts outcomes handed over and not committed, however many writes
    hold them: with two writes under way (PostgreSQL's default) a sender still waits for room."""
    with notifications_runtime(database_url) as runtime:
        for n in range(40):
            subscribe(runtime, f"reader{n}@example.org", NOW)
        with Session(runtime.engine, expire_on_commit=False) as session:
            due = claim_due(session, utcnow(), limit=100, lease=timedelta(seconds=60), token="round-1")
        recorder = OutcomeRecorder(runtime.engine, replace(runtime.sender.policy, max_unrecorded=6), writers=2)
        for mail in due:
            await recorder.wait_for_room()
            recorder.add(outcomes.Outcome(mail, outcomes.SENT, utcnow()), time.monotonic() + 60)
            await asyncio.sleep(0)
        assert await recorder.close() == len(due) == 40
        assert recorder.most_unwritten <= 6
        confirmations = deliveries(runtime, kind=domain.CONFIRMATION)
        assert {d.status for d in confirmations} == {domain.DELIVERY_SENT} and len(confirmations) == 40


def fails_once(monkeypatch, module, name: str) -> None:  # noqa: ANN001
    """`module.name` raises what a restarting database gives, once; then it is itself again."""
    real = getattr(module, name)

    def database_gone(*_args, **_kwargs) -> None:  # noqa: ANN002, ANN003
        monkeypatch.setattr(module, name, real)
        raise OperationalError("SELECT …", {}, ConnectionError("server closed the connection unexpectedly"))

    monkeypatch.setattr(module, name, database_gone)


async def test_a_claim_whose_mails_could_not_be_read_is_given_back_when_the_database_answers(
        database_url, monkeypatch):  # noqa: ANN001
    """`make faults` scenario 4: PostgreSQL restarted between a claim's commit and the reading of
    its mails. The lease stood with no round holding it, and the mails waited for its end (120 s)."""
    with counting_sink() as (sink, port), notifications_runtime(database_url, port) as runtime:
        for n in range(3):
            subscribe(runtime, f"reader{n}@example.org", NOW)
        fails_once(monkeypatch, claims, "load_mails")
        fails_once(monkeypatch, outcomes, "release")  # still away when the round ends
        with pytest.raises(OperationalError):
            await runtime.sender.send_due()
        leased = deliveries(runtime, status=domain.DELIVERY_PENDING)
        assert len(leased) == 3 and all(d.claim_token for d in leased) and not sink.recipients
        assert runtime.sender.unsettled
        assert await runtime.sender.send_due() == 3  # given back first, then claimed again at once
        assert sorted(sink.recipients) == [f"reader{n}@example.org" for n in range(3)]
        assert {(d.status, d.attempts, d.claim_token) for d in deliveries(runtime)} == {(domain.DELIVERY_SENT, 1, None)}


async def test_the_rest_of_a_round_whose_release_failed_is_given_back_by_the_next(
        database_url, monkeypatch):  # noqa: ANN001
    with notifications_runtime(database_url, free_port(), connections=1) as runtime:  # nothing listens there
        for n in range(4):
            subscribe(runtime, f"reader{n}@example.org", NOW)
        fails_once(monkeypatch, outcomes, "release")
        with pytest.raises(OperationalError):
            await runtime.sender.send_due()  # one tried and failed; three untried, their release failed
        untried = [d for d in deliveries(runtime) if d.error is None]
        assert len(untried) == 3 and all(d.claim_token for d in untried)
        await runtime.sender.send_due(utcnow() - timedelta(minutes=5))  # gives back, claims nothing yet
        untried = [d for d in deliveries(runtime) if d.error is None]
        assert len(untried) == 3 and all(d.claim_token is None for d in untried) and not runtime.sender.unsettled


async def wait_for(condition, seconds: float = 20) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the sender did not get there"
        await asyncio.sleep(0.01)
