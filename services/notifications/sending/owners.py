"""Which sender process holds a mail's lease, and taking over the leases of a dead one (ADR 8).

Each sender process has an instance id and holds a lease named after it for as long as it
lives (npa.infrastructure.lease: a `flock` beside the SQLite file, or a PostgreSQL advisory lock
on a session of its own); the kernel or the server drops it the moment the process dies. Every
few seconds, and at start, a sender looks at the owners of the leased pending deliveries: an
owner whose lease it can take is gone, and its deliveries are due again at once instead of
after the full lease (120 s).
"""

import asyncio
import logging
import uuid

from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure.lease import lease_for
from npa.infrastructure.outbox import utcnow
from services.notifications.usecases import leases

log = logging.getLogger(__name__)


def _lease_name(instance: str) -> str:
    return f"notifications-sender-{instance}"


class SenderIdentity:
    def __init__(self, engine: Engine, *, check_seconds: float = 2.0) -> None:
        self._engine = engine
        self.instance = uuid.uuid4().hex[:leases.OWNER_LENGTH]
        self._lease = lease_for(engine, _lease_name(self.instance))
        self._check_seconds = check_seconds
        self.reclaimed = 0
        self.ready = asyncio.Event()

    def new_token(self) -> str:
        """A claim token naming this instance: `<instance>:<round>` (36 characters)."""
        return f"{self.instance}:{uuid.uuid4().hex[:19]}"

    async def run(self) -> None:
        """Beside the sender: keep the lease (a PostgreSQL session must stay busy) and take over
        the mails of dead senders, every `check_seconds`. `ready` is set once the lease is held:
        the sender claims nothing before, since a claim under an owner whose lease is free would
        be taken over by the next sender that looks."""
        while True:
            try:
                await asyncio.to_thread(self.maintain)
                self.ready.set()
            except Exception as error:  # database away: the next check
                log.warning("sender lease check failed (%s: %s)", type(error).__name__, str(error)[:200])
            await asyncio.sleep(self._check_seconds)

    def maintain(self) -> int:
        """Hold this instance's lease; give back the mails of dead senders; returns how many."""
        if not self._lease.still_held() and not self._lease.try_acquire():
            raise RuntimeError(f"the sender lease {self.instance} is held by another process")
        with Session(self._engine) as session:
            owners = leases.leased_owners(session, utcnow()) - {self.instance}
            given_back = 0
            for owner in sorted(owners):
                theirs = lease_for(self._engine, _lease_name(owner))
                if not theirs.try_acquire():
                    continue  # alive: its lease is its own
                try:
                    count = leases.reclaim(session, owner, utcnow())
                finally:
                    theirs.discard()
                if count:
                    log.warning("%d mails leased by sender %s, which is gone, are due again", count, owner)
                given_back += count
        self.reclaimed += given_back
        return given_back

    def release(self) -> None:
        self._lease.discard()
