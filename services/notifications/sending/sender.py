"""The mail sender: a background worker that sends due deliveries over SMTP.

Bus handlers and periodic workers only queue deliveries. Here a feeder claims due rows in batches
(each claim a lease, see ADR 8) and renders them into one shared queue; `connections`
workers, each with its own SMTP connection, take the next mail from it until the queue runs
dry. In the worker loop a round lasts as long as claims find mails: each consumer commit wakes
the feeder, which claims again while the connections send (ADR 23). Outcomes go to the
recorder as they happen. 4xx replies and connection trouble are retried with exponential
backoff and jitter; 5xx replies fail for good. A try counts against a mail's
`max_attempts` once the server had it (connected and greeted): while the server cannot be
reached, mails wait and none is given up.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import aiosmtplib
from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure.backoff import Backoff
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.settings import Settings
from npa.infrastructure.wakeup import Wakeup
from services.notifications import domain, metrics, usecases
from services.notifications.config import SenderPolicy
from services.notifications.mails import MailRenderer, RenderedMail
from services.notifications.sending.depth import QueueDepth, aware
from services.notifications.sending.owners import SenderIdentity
from services.notifications.sending.pool import SmtpPool
from services.notifications.sending.recorder import OutcomeRecorder
from services.notifications.sending.unsettled import UnsettledLeases
from services.notifications.sending.transaction import MESSAGE_REJECTIONS, describe, reply_code, send_wire_ready
from services.notifications.usecases import outcomes
from services.notifications.usecases.claims import POSTPONE, SEND, SKIP, DueMail
from services.notifications.usecases.outcomes import Outcome

log = logging.getLogger(__name__)

LEASE_MARGIN_SECONDS = 5.0
# Connections stay open from one round to the next: steady traffic comes as many small rounds,
# and reconnecting for each held alerts back by seconds (bench/pipeline.py, steady).
IDLE_CLOSE_SECONDS = 30.0


class DeliverySender:
    def __init__(self, engine: Engine, settings: Settings, renderer: MailRenderer, policy: SenderPolicy,
                 wakeup: Wakeup, on_staged: Callable[[], None]) -> None:
        self._engine = engine
        self._settings = settings
        self._renderer = renderer
        self.policy = policy
        self._wakeup = wakeup
        self._on_staged = on_staged
        self.pool = SmtpPool(settings, policy.connections, policy.smtp_timeout_seconds)
        self._round: asyncio.Task | None = None
        self._stopping = False
        self._depth = QueueDepth(engine)
        self.identity = SenderIdentity(engine)
        self.unsettled = UnsettledLeases(engine)
        self.rounds = 0  # rounds the worker loop started (tests)

    async def run(self) -> None:
        """The worker loop. On cancellation the mails already on the wire are finished and
        recorded (so they are not sent again after a restart) before it stops."""
        self._wakeup.bind()
        failures = 0
        trouble = Backoff(base_seconds=min(2 * self.policy.poll_seconds, 30.0), max_seconds=30.0, jitter=0.0)
        busy_at = time.monotonic()
        keeper = asyncio.create_task(self.identity.run(), name="mail-sender-lease")
        try:
            await self.identity.ready.wait()
            while True:
                self._wakeup.clear()
                self.rounds += 1
                self._round = asyncio.create_task(self.send_due(keep_going=True), name="mail-sender-round")
                try:
                    handled = await asyncio.shield(self._round)
                    failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # database away: keep the rows, back off, retry
                    failures += 1
                    log.warning("mail sender round failed (%s: %s), retry %d", type(error).__name__, error, failures)
                    await asyncio.sleep(trouble.delay(failures))
                    continue
                await self._depth.refresh()
                if handled:
                    busy_at = time.monotonic()
                elif time.monotonic() - busy_at > IDLE_CLOSE_SECONDS:
                    await self.pool.close_all()  # servers drop idle clients after a few minutes
                if not handled or self._stopping:
                    await self._wakeup.wait(self.policy.poll_seconds)
        except asyncio.CancelledError:
            await self._finish_round()
            raise
        finally:
            keeper.cancel()
            await self.pool.close_all()
            await asyncio.to_thread(self.identity.release)
            self._stopping = False  # a later run() or send_due() starts afresh

    async def _finish_round(self) -> None:
        round_ = self._round
        if round_ is None or round_.done():
            return
        self._stopping = True
        self._wakeup.set()  # a feeder waiting for new mails stops waiting
        done, _ = await asyncio.wait({round_}, timeout=self.policy.smtp_timeout_seconds + LEASE_MARGIN_SECONDS)
        if not done:
            round_.cancel()

    async def send_due(self, now: datetime | None = None, *, keep_going: bool = False) -> int:
        """Send everything due at `now` (default: the clock), then return how many mails were
        taken. A feeder claims and renders the next batch in a thread while the connections
        still send the current one, so they never wait for the database. `keep_going` (the
        worker loop): after a claim that found mails, wait for the next wake-up or poll and claim
        again within the same round, until a claim finds nothing."""
        if self.unsettled:  # a failed round's leases first; raises while the database is away
            await asyncio.to_thread(self.unsettled.settle)
        drain = _Drain()
        recorder = OutcomeRecorder(self._engine, self.policy)
        try:
            await asyncio.gather(self._feed(drain, recorder, now, keep_going),
                                 *(self._work(slot, drain, recorder) for slot in range(self.pool.size)))
        finally:
            if await recorder.close():
                self._on_staged()  # once per round; meanwhile the relay's poll and the consumer's commits wake it
            leftovers = [*drain.queue, *drain.expired]
            if leftovers:  # the server is in trouble, a lease runs out, or the service stops
                delay = self.policy.backoff.delay(1) if drain.trouble else 0.0
                when = utcnow() + timedelta(seconds=delay)
                for queued in leftovers:
                    self.unsettled.give_back(queued.token, queued.mail.delivery.id, when)
            if self.unsettled:  # these, and a claim that failed in this round
                await asyncio.to_thread(self.unsettled.settle)
        if drain.error is not None:
            raise drain.error
        return drain.taken

    async def _feed(self, drain: "_Drain", recorder: OutcomeRecorder, now: datetime | None, keep_going: bool) -> None:
        low_water = max(1, self.policy.batch_size // 2)
        try:
            while True:
                async with drain.changed:
                    await drain.changed.wait_for(lambda: len(drain.queue) < low_water or drain.ending(self))
                if drain.ending(self):
                    return
                if keep_going:
                    self._wakeup.clear()  # a commit after this point wakes the next claim
                token = self.identity.new_token()
                lease_ends = time.monotonic() + self.policy.lease_seconds - LEASE_MARGIN_SECONDS
                prepared = await asyncio.to_thread(self._claim_and_render, now or utcnow(), token)
                drain.taken += len(prepared)
                for mail, rendered in prepared:
                    if mail.verdict == SKIP:
                        recorder.add(Outcome(mail, outcomes.SKIPPED, utcnow(), mail.reason), lease_ends)
                    elif mail.verdict == POSTPONE:
                        recorder.add(Outcome(mail, outcomes.POSTPONED, utcnow()), lease_ends)
                    elif isinstance(rendered, str):
                        recorder.add(Outcome(mail, outcomes.FAILED, utcnow(), rendered, permanent=True,
                                             counts_as_attempt=False, metric_reason="rendering"), lease_ends)
                    else:
                        drain.queue.append(_Queued(mail, rendered, token, lease_ends))  # type: ignore[arg-type]
                async with drain.changed:
                    drain.changed.notify_all()
                if not prepared or (len(prepared) < self.policy.batch_size and not keep_going):
                    return  # nothing more is due
                if len(prepared) < self.policy.batch_size:
                    # Mails queued while this round sends are claimed as soon as their commit wakes
                    # the sender, not after the round ends (steady traffic kept a round busy and
                    # held new alerts back by its whole length: ADR 23).
                    await self._depth.refresh()
                    await self._wakeup.wait(self.policy.poll_seconds)
        except Exception as error:  # database away: the workers finish what is queued, then the round fails
            drain.error = error
        finally:
            drain.feeding = False
            async with drain.changed:
                drain.changed.notify_all()

    async def _work(self, slot: int, drain: "_Drain", recorder: OutcomeRecorder) -> None:
        sender, timeout = self._settings.mail_from, self.policy.smtp_timeout_seconds
        low_water = max(1, self.policy.batch_size // 2)
        while True:
            if not drain.queue:
                if not drain.feeding or drain.ending(self):
                    return
                async with drain.changed:
                    await drain.changed.wait_for(lambda: bool(drain.queue) or not drain.feeding)
                continue
            if self._stopping:
                return
            await recorder.wait_for_room()
            if not drain.queue:
                continue
            queued = drain.queue.popleft()
            if len(drain.queue) == low_water - 1:
                async with drain.changed:
                    drain.changed.notify_all()  # the feeder claims the next batch now
            if time.monotonic() + timeout > queued.lease_ends:
                drain.expired.append(queued)  # the lease could run out mid-send: give it back
                continue
            mail, rendered = queued.mail, queued.rendered
            offered = False  # whether the server had this mail: its transaction began
            try:
                async with asyncio.timeout(timeout):  # connecting included: the lease must outlast it
                    smtp = await self.pool.connection(slot)
                    offered = True
                    await send_wire_ready(smtp, sender, rendered.to, rendered.data,
                                          smtputf8=rendered.needs_smtputf8)
            except MESSAGE_REJECTIONS as error:
                code = reply_code(error)
                permanent = code is None or domain.is_permanent_smtp_code(code)
                recorder.add(Outcome(mail, outcomes.FAILED, utcnow(), describe(error), permanent=permanent,
                                     metric_reason=domain.failure_reason(code) if code else "rejected"), queued.lease_ends)
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
                # The server, not this message, is the trouble: this worker stops, no new batch
                # is claimed, and what no other worker can send waits for the next try. A server
                # that could not be reached costs the mail no try: an outage must not use up the
                # tries of the few mails at the head of the queue (`make faults` scenario 3, ADR 8).
                self.pool.discard(slot)
                drain.trouble = True
                self._wakeup.set()  # a feeder waiting for new mails ends the round
                timed_out = isinstance(error, TimeoutError | aiosmtplib.SMTPTimeoutError)
                recorder.add(Outcome(mail, outcomes.FAILED, utcnow(), describe(error), permanent=False,
                                     counts_as_attempt=offered,
                                     metric_reason=domain.failure_reason(None, timed_out=timed_out)), queued.lease_ends)
                async with drain.changed:
                    drain.changed.notify_all()
                return
            else:
                accepted = utcnow()
                recorder.add(Outcome(mail, outcomes.SENT, accepted), queued.lease_ends)
                event_time = mail.delivery.event_time
                if event_time is not None and mail.delivery.kind in domain.ITEM_MAIL_KINDS:
                    _accept_latency(mail.delivery.kind).observe(max(0.0, (accepted - aware(event_time)).total_seconds()))

    def _claim_and_render(self, now: datetime, token: str) -> list[tuple[DueMail, RenderedMail | str | None]]:
        """Claim due rows and build their mails; a string stands for 'cannot render'."""
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                due = usecases.claim_due(session, now, limit=self.policy.batch_size,
                                         lease=timedelta(seconds=self.policy.lease_seconds), token=token)
        except Exception:  # the lease may be committed while its mails were not read
            self.unsettled.claim_failed(token)
            raise
        prepared: list[tuple[DueMail, RenderedMail | str | None]] = []
        for mail in due:
            if mail.verdict != SEND:
                prepared.append((mail, None))
                continue
            try:
                prepared.append((mail, self._renderer.render(mail)))
            except Exception as error:  # a template bug must not stall the queue
                log.exception("cannot render delivery %s", mail.delivery.id)
                prepared.append((mail, f"cannot render mail: {type(error).__name__}"))
        return prepared


@dataclass
class _Queued:
    mail: DueMail
    rendered: RenderedMail
    token: str  # of the claim that leased it
    lease_ends: float  # monotonic


@dataclass
class _Drain:
    """What the feeder and the workers of one `send_due` share."""

    queue: deque = field(default_factory=deque)
    expired: list = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    feeding: bool = True
    trouble: bool = False
    taken: int = 0
    error: Exception | None = None

    def ending(self, sender: "DeliverySender") -> bool:
        return self.trouble or sender._stopping  # noqa: SLF001


@lru_cache(maxsize=None)  # one child per kind of mail; finding it costs ~8 µs per mail
def _accept_latency(kind: str) -> Any:
    return metrics.EVENT_TO_ACCEPT.labels(kind)
