"""The scenarios of `make faults` (issue 10): each starts a fresh platform, drives partner
offers against confirmed subscribers, injects its fault, and returns its line of the table.

The bound on duplicates is ADR 8's: a crash of the sender sends again at most the mails that
were accepted and not yet recorded, NPA_NOTIFICATIONS_SENDER_MAX_UNRECORDED (32) plus one per
SMTP connection (4), per process killed. Faults that kill no sender allow none.
"""

import asyncio
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from bench.support import traffic
from bench.support.fault_harness import Harness, Row
from bench.support.private_postgres import private_postgres
from bench.support.stack import running_stack
from tests.support.processes import free_port

SERVICES = ("actors", "offers", "notifications")
MAX_UNRECORDED, CONNECTIONS = 32, 4
SENDER_CRASH_BOUND = MAX_UNRECORDED + CONNECTIONS
ENV = {
    "NPA_OFFERS_PARTNER_RATE_PER_MINUTE": "1000000", "NPA_OFFERS_PARTNER_BURST": "100000",
    # Mails that met a dead SMTP server are tried again after 2, 4 … 10 s instead of 1 min … 6 h,
    # so a run ends in minutes; the retry path is the same. A server that cannot be reached costs
    # no try (ADR 8), so scenario 3's minute away gives up no mail however short the delays.
    "NPA_NOTIFICATIONS_SMTP_RETRY_BASE_SECONDS": "2", "NPA_NOTIFICATIONS_SMTP_RETRY_MAX_SECONDS": "10",
    "NPA_NOTIFICATIONS_SENDER_MAX_UNRECORDED": str(MAX_UNRECORDED),
    "NPA_NOTIFICATIONS_SMTP_CONNECTIONS": str(CONNECTIONS),
}


@dataclass(frozen=True)
class Options:
    backend: str = "sqlite"
    fault_seconds: float = 60.0  # broker paused, SMTP down
    rate: float = 4.0  # offers per second in the steady stream
    per_field: int = 20  # subscribers per field in the steady scenarios
    fanout_offers: int = 10  # scenario 2: 10 offers × 300 subscribers
    fanout_subscribers: int = 300
    settle_seconds: float = 5.0  # after the stream, for late repeats to show
    keep_logs: str = ""  # a folder: each scenario's service logs are copied there


async def steady(harness: Harness, options: Options, seconds: float) -> None:
    harness.start_stream(options.rate)
    await asyncio.sleep(seconds)


async def finish(harness: Harness, options: Options, scenario: str, *, bound: int = 0, note: str = "",
                 timeout: float = 300.0) -> Row:
    """Stop the stream, wait for every expected mail and for late repeats; the table's line."""
    await harness.stop_stream()
    await harness.wait_for_mails(timeout)
    await asyncio.sleep(options.settle_seconds)
    if options.keep_logs:
        kept = Path(options.keep_logs) / scenario.split()[0]
        shutil.copytree(harness.stack.platform.logs, kept, dirs_exist_ok=True)
        for name in ("accepted.tsv", "ids.tsv"):  # when each mail arrived
            if (harness.stack.mail / name).exists():
                shutil.copy(harness.stack.mail / name, kept / name)
    return harness.row(scenario, bound, note)


def prepared(stack, options: Options, per_field: int | None = None) -> Harness:  # noqa: ANN001
    harness = Harness(stack, per_field or options.per_field)
    harness.seed_subscribers()
    harness.register_partner()
    return harness


async def broker_paused_then_killed(options: Options) -> Row:
    """1. SIGSTOP of the broker for the fault duration, SIGCONT; then SIGKILL and a new, empty
    broker on the same port. Before the kill the stream pauses until everything has arrived:
    events a memory broker holds and nobody has consumed yet die with it (Apache Kafka keeps
    them on disk), and that is not what is measured. After it the services must re-create
    their topics and rejoin their groups by themselves, and the stream goes on."""
    with running_stack(options.backend, SERVICES, ENV) as stack:
        harness = prepared(stack, options)
        await steady(harness, options, 5)
        broker = stack.platform.infrastructure["broker"]
        broker.send_signal(signal.SIGSTOP)
        await asyncio.sleep(options.fault_seconds)
        broker.send_signal(signal.SIGCONT)
        harness.mark_fault_end()
        await asyncio.sleep(10)
        await harness.stop_stream()
        await harness.wait_for_mails(240)
        paused = harness.recovered_at()
        pause_recovery = "not" if paused is None else f"{paused - harness.fault_end[0]:.1f} s"
        broker.send_signal(signal.SIGKILL)
        broker.wait(10)
        restarted_at = time.time()
        stack.platform.start_broker(restart=False)  # as `make run`'s supervisor does: topics at once
        harness.start_stream(options.rate)
        await asyncio.sleep(5)
        harness.mark_fault_end(restarted_at)  # the offers of the first 5 s hit services still reconnecting
        await asyncio.sleep(15)
        return await finish(harness, options, "1 broker SIGSTOP, then SIGKILL + empty restart",
                            note=f"paused {options.fault_seconds:.0f} s: all mailed {pause_recovery} after SIGCONT; "
                                 "recovery column: from the restart until the offers of its first 5 s were mailed")


async def notifications_killed(options: Options) -> Row:
    """2. SIGKILL of notifications mid fan-out (10 offers × 300 subscribers), then a restart."""
    with running_stack(options.backend, SERVICES, ENV) as stack:
        harness = prepared(stack, options, options.fanout_subscribers)
        await harness.send_offers(options.fanout_offers)
        expected = harness.mails_expected
        await traffic.wait_for(lambda: harness.received() >= expected // 3, 240)
        harness.kill("notifications")
        at_kill = harness.received()
        harness.restart_service("notifications")
        harness.mark_fault_end()
        return await finish(harness, options, "2 notifications SIGKILL mid fan-out",
                            bound=SENDER_CRASH_BOUND, note=f"killed after {at_kill}/{expected} mails; "
                                                           "recovery counted from the restart's readiness")


async def smtp_down(options: Options) -> Row:
    """3. The SMTP server away for the fault duration while offers keep coming."""
    with running_stack(options.backend, SERVICES, ENV) as stack:
        harness = prepared(stack, options)
        await steady(harness, options, 5)
        harness.stop_sink()
        await asyncio.sleep(options.fault_seconds)
        harness.start_sink()
        harness.mark_fault_end()
        await asyncio.sleep(5)
        return await finish(harness, options, "3 SMTP down", note=f"down {options.fault_seconds:.0f} s")


async def postgres_restarted(options: Options) -> Row:
    """4. PostgreSQL restarted under load (every service on PostgreSQL, a server of their own)."""
    with private_postgres() as server, running_stack("postgresql", SERVICES, ENV, postgres_port=server.port) as stack:
        harness = prepared(stack, options)
        await steady(harness, options, 5)
        started = time.monotonic()
        await asyncio.to_thread(server.control, "restart")
        took = time.monotonic() - started
        harness.mark_fault_end()
        await asyncio.sleep(10)
        return await finish(harness, options, "4 PostgreSQL restart under load",
                            note=f"pg_ctl restart took {took:.1f} s")


async def replicas_killed(options: Options) -> Row:
    """6. Two replicas of offers and of notifications in their groups; one of each SIGKILLed."""
    with running_stack(options.backend, SERVICES, ENV) as stack:
        harness = prepared(stack, options)
        offers_port, notifications_port = free_port(), free_port()
        stack.spawn_service("offers", "offers-2", offers_port)
        stack.spawn_service("notifications", "notifications-2", notifications_port)
        harness.offers_urls = [stack.urls["offers"], f"http://127.0.0.1:{offers_port}"]
        await steady(harness, options, 10)
        killed_at = time.time()
        harness.kill("offers")
        harness.kill("notifications")
        await asyncio.sleep(5)
        harness.mark_fault_end(killed_at)  # the offers of the first 5 s met the groups rebalancing
        await asyncio.sleep(10)
        return await finish(harness, options, "6 one of two replicas killed (offers, notifications)",
                            bound=SENDER_CRASH_BOUND, note="the survivors take over, nothing restarted; recovery: from "
                                                           "the kill until the offers of its first 5 s were mailed")


AWAY_LEASE_SECONDS = 45.0


async def postgres_away_mid_fanout(options: Options) -> Row:
    """8. PostgreSQL stopped mid fan-out (10 offers × 300 subscribers, every service on it) for
    20 s (quick: 10 s), then started. The mails accepted while it went away must be recorded
    once it answers, not sent again when their lease ends (ADR 8); the lease is shortened to
    45 s, and the run waits past it, so that a repeat would show."""
    env = {**ENV, "NPA_NOTIFICATIONS_SMTP_TIMEOUT_SECONDS": "10",
           "NPA_NOTIFICATIONS_SENDER_LEASE_SECONDS": str(AWAY_LEASE_SECONDS)}
    away = min(options.fault_seconds, 20.0)
    with private_postgres() as server, running_stack("postgresql", SERVICES, env, postgres_port=server.port) as stack:
        harness = prepared(stack, options, options.fanout_subscribers)
        await harness.send_offers(options.fanout_offers)
        expected = harness.mails_expected
        await traffic.wait_for(lambda: harness.received() >= expected // 3, 240)
        at_stop, stopped = harness.received(), time.monotonic()
        await asyncio.to_thread(server.control, "stop")
        try:
            await asyncio.sleep(away)
        finally:
            await asyncio.to_thread(server.control, "start")
        harness.mark_fault_end()
        await harness.wait_for_mails(240)
        await asyncio.sleep(max(0.0, stopped + AWAY_LEASE_SECONDS + 5 - time.monotonic()))
        return await finish(harness, options, "8 PostgreSQL away mid fan-out",
                            note=f"stopped {away:.0f} s after {at_stop}/{expected} mails; the lease "
                                 f"{AWAY_LEASE_SECONDS:.0f} s, waited past it for repeats")
