"""What every fault scenario shares: a platform of real processes, confirmed subscribers, a
steady stream of partner offers over the partner API, and the count of what arrived.

The stream sends new offers (one field each, state-wide) at a fixed rate; every subscriber of
that field must get exactly one alert per offer. A request that fails (a service restarting,
PostgreSQL away) is sent again, as a partner's client does: the upsert is idempotent.
Mails are counted by Message-ID, which is derived from (subscription, event): a repeat is a
duplicate, a missing one is lost.
"""

import asyncio
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
from sqlalchemy import create_engine, insert, text

from bench.support import traffic
from bench.support.stack import ROOT, TOKEN, Stack
from localrun.__main__ import listening, wait_until
from npa.infrastructure.outbox import utcnow
from services.notifications import domain
from services.notifications.models import Subscription, SubscriptionTarget

FIELDS = traffic.FIELD_SLUGS


@dataclass
class Row:
    """One line of the suite's table."""

    scenario: str
    sent: int = 0  # events the scenario sent (partner offers, poison messages)
    applied: int = 0  # of those, what the owning service applied (or parked on .dlq, for poison)
    mails_expected: int = 0
    received: int = 0  # distinct mails
    duplicates: int = 0
    lost: int = 0  # events not applied + mails expected and not received
    recover_seconds: float = 0.0  # from the end of the fault until everything had arrived
    bound: int = 0  # duplicates allowed
    note: str = ""
    extra_failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates <= self.bound and not self.extra_failures


class Harness:
    def __init__(self, stack: Stack, per_field: int) -> None:
        self.stack = stack
        self.per_field = per_field
        self.partner: dict = {}
        self.accepted: dict[str, int] = {}  # external id → field index, once the PUT succeeded
        self.offers_urls = [stack.urls["offers"]]
        self._stream: asyncio.Task | None = None
        self._stop_stream = asyncio.Event()
        self.run_id = uuid.uuid4().hex[:6]
        self.fault_end: tuple[float, set[str]] = (time.time(), set())

    # --- set-up -------------------------------------------------------------------------------
    def seed_subscribers(self) -> None:
        """`per_field` confirmed immediate subscribers per field, written as the use cases file
        them (straight into the notifications database: the opt-in is not what is tested here)."""
        now = utcnow()
        rows = [{"id": str(uuid.uuid4()), "version": 1, "email": f"f-{self.run_id}-{name}-{n}@example.org",
                 "email_key": f"f-{self.run_id}-{name}-{n}@example.org", "status": domain.ACTIVE, "fields": [name],
                 "regions": [], "frequency": "immediate", "language": "de", "examples": False,
                 "new_actors": False, "created_at": now, "updated_at": now, "confirmed_at": now, "cadence_since": now}
                for name in FIELDS for n in range(self.per_field)]
        targets = [{"audience": audience, "field": name, "frequency": "immediate", "area": area,
                    "subscription_id": row["id"]}
                   for row in rows for audience, name, area in domain.filing(row["fields"], [], False, False)]
        engine = create_engine(self.stack.database_urls["notifications"])
        with engine.begin() as connection:
            for start in range(0, len(rows), 2000):
                connection.execute(insert(Subscription), rows[start:start + 2000])
            connection.execute(insert(SubscriptionTarget), targets)
        engine.dispose()

    def register_partner(self) -> None:
        self.partner = traffic.register_partner(self.stack.urls, TOKEN)

    # --- the stream ---------------------------------------------------------------------------
    async def put_offer(self, client: httpx.AsyncClient, number: int, deadline: float) -> bool:
        external_id = f"fault-{self.run_id}-{number}"
        body = {"title": f"Fault-Kurs {self.run_id} {number}", "fields": [FIELDS[number % len(FIELDS)]],
                "district": None, "summary": "Ein Angebot aus der Fehlerprobe.", "languages": ["de"]}
        headers = {"Authorization": f"Bearer {self.partner['api_key']}"}
        attempt = 0
        while time.monotonic() < deadline:
            url = self.offers_urls[attempt % len(self.offers_urls)]
            attempt += 1
            try:
                response = await client.put(f"{url}/api/v1/partners/{self.partner['id']}/offers/{external_id}",
                                            json=body, headers=headers, timeout=10)
                if response.status_code in (200, 201):
                    self.accepted[external_id] = number % len(FIELDS)
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        return False

    async def send_offers(self, count: int) -> None:
        async with httpx.AsyncClient() as client:
            for number in range(len(self.accepted), len(self.accepted) + count):
                await self.put_offer(client, number, time.monotonic() + 120)

    def start_stream(self, per_second: float) -> None:
        self._stop_stream.clear()
        self._stream = asyncio.create_task(self._run_stream(per_second))

    async def _run_stream(self, per_second: float) -> None:
        async with httpx.AsyncClient() as client:
            number = len(self.accepted)
            next_at = time.monotonic()
            while not self._stop_stream.is_set():
                await self.put_offer(client, number, time.monotonic() + 180)
                number += 1
                next_at += 1 / per_second
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def stop_stream(self) -> None:
        self._stop_stream.set()
        if self._stream is not None:
            await self._stream

    # --- what arrived ---------------------------------------------------------------------------
    def mail_ids(self) -> list[tuple[float, str]]:
        path = self.stack.mail / "ids.tsv"
        if not path.exists():
            return []
        rows = []
        for line in path.read_bytes().splitlines():
            at, _, message_id = line.partition(b"\t")
            if at:
                rows.append((float(at), message_id.decode()))
        return rows

    @property
    def mails_expected(self) -> int:
        return len(self.accepted) * self.per_field

    def received(self) -> int:
        return len({message_id for _at, message_id in self.mail_ids()})

    async def wait_for_mails(self, timeout: float, stall_seconds: float = 60.0) -> float:
        """Until every expected mail arrived (or time is up); returns the time it happened."""
        await traffic.wait_for(lambda: self.received() >= self.mails_expected, timeout, self.received,
                               stall_seconds=stall_seconds)
        return time.monotonic()

    def applied_offers(self) -> int:
        """Offers of this run that the offers service holds."""
        engine = create_engine(self.stack.database_urls["offers"])
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM offers WHERE partner_id = :p AND external_id LIKE :e"),
                                       {"p": self.partner["id"], "e": f"fault-{self.run_id}-%"}).scalar_one()
        engine.dispose()
        return int(count)

    def mark_fault_end(self, ended_at: float | None = None) -> None:
        """The fault ended (now, or at the wall-clock `ended_at`): recovery is the time from
        then until every offer accepted so far is mailed."""
        self.fault_end = (ended_at or time.time(), set(self.accepted))

    def recovered_at(self) -> float | None:
        """When the last expected mail of the offers accepted before the fault's end arrived
        (wall clock, as the sink writes it), or None while one is missing."""
        ended_at, before = self.fault_end
        numbers = {int(external_id.rsplit("-", 1)[1]) for external_id in before}
        pattern = re.compile(rf"Fault-Kurs {self.run_id} (\d+)\b")
        arrivals: dict[int, list[float]] = {}
        for at, subject in traffic.accepted_mails(self.stack.mail):
            if (match := pattern.search(subject)) and int(match.group(1)) in numbers:
                arrivals.setdefault(int(match.group(1)), []).append(at)
        if any(len(set(arrivals.get(number, ()))) < self.per_field for number in numbers):
            return None
        return max((sorted(times)[self.per_field - 1] for times in arrivals.values()), default=ended_at)

    def given_up(self) -> dict[str, int]:
        """Deliveries the sender gave up for good, by their last error: where a lost mail went."""
        engine = create_engine(self.stack.database_urls["notifications"])
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT error, count(*) FROM deliveries WHERE status = 'failed' "
                                           "GROUP BY error")).all()
        engine.dispose()
        return {str(error): int(count) for error, count in rows}

    def row(self, scenario: str, bound: int, note: str = "") -> Row:
        ids = [message_id for _at, message_id in self.mail_ids()]
        unique = len(set(ids))
        applied = self.applied_offers()
        recovered = self.recovered_at()
        lost = (len(self.accepted) - applied) + max(0, self.mails_expected - unique)
        given_up = self.given_up() if lost else {}
        if given_up:
            note += "; given up by the sender: " + ", ".join(f"{count} × {error}" for error, count in given_up.items())
        return Row(scenario, sent=len(self.accepted), applied=applied, mails_expected=self.mails_expected,
                   received=unique, duplicates=len(ids) - unique, lost=lost,
                   recover_seconds=float("nan") if recovered is None else max(0.0, recovered - self.fault_end[0]),
                   bound=bound, note=note)

    # --- processes ------------------------------------------------------------------------------
    def kill(self, label: str, signum: int = signal.SIGKILL) -> None:
        process = self.stack.platform.services[label]
        process.send_signal(signum)
        process.wait(30)

    def restart_service(self, name: str, label: str | None = None, port: int | None = None) -> None:
        label = label or name
        if port is None:
            self.stack.start_service(name)
        else:
            self.stack.spawn_service(name, label, port)

    def stop_sink(self) -> None:
        sink = self.stack.sink
        assert sink is not None
        sink.send_signal(signal.SIGTERM)
        sink.wait(30)

    def start_sink(self) -> None:
        self.stack.sink = subprocess.Popen(
            [sys.executable, "-m", "bench.support.sink", str(self.stack.smtp_port), str(self.stack.mail)], cwd=ROOT)
        wait_until(lambda: listening("127.0.0.1", self.stack.smtp_port), 30, "SMTP sink", {"sink": self.stack.sink})
