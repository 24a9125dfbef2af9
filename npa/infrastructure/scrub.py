"""After personal data was deleted: the deleted bytes leave the database files too (ADR 15).

SQLite (with `PRAGMA secure_delete=ON` on every connection, see database.make_engine) zeroes
deleted rows in the pages it writes; but in WAL mode the earlier versions of those pages stay
in the `-wal` file until a checkpoint copies the new ones into the database and truncates the
log. `after_erasure` does that at once (`wal_checkpoint(TRUNCATE)`); a reader still on an old
snapshot can block it, and then the worker tries again every second until it succeeds.

PostgreSQL keeps a deleted row as a dead tuple until VACUUM, and VACUUM does not zero the
space it frees: the bytes stay in the page until a later row overwrites them. The worker
vacuums the tables that held personal data within `vacuum_interval_seconds` of an erasure
(the row is then unreachable for any query), and rewrites the tables that hold addresses
(`VACUUM FULL`: new files, the old ones are unlinked) at most once per
`rewrite_interval_seconds` when an erasure happened since (0: never). What is left after that —
WAL segments until they are recycled, replicas' and backups' copies — is in ADR 15.
"""

import asyncio
import logging
import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


class Scrubber:
    def __init__(self, engine: Engine, tables: tuple[str, ...], *, rewrite_tables: tuple[str, ...] = (),
                 vacuum_interval_seconds: float = 60.0, rewrite_interval_seconds: float = 86400.0,
                 checkpoint_wait_seconds: float = 2.0) -> None:
        self._engine = engine
        self._tables = tables
        self._rewrite_tables = rewrite_tables
        self._rewrite_interval = rewrite_interval_seconds
        self._rewrite_due = False
        self._last_rewrite: float | None = None
        self._vacuum_interval = vacuum_interval_seconds
        self._checkpoint_wait = checkpoint_wait_seconds
        self._pending = threading.Event()
        self._last_vacuum = 0.0
        self.sqlite = engine.dialect.name == "sqlite"

    def after_erasure(self) -> bool:
        """Call after the erasure committed. True when nothing of it is left in the files now;
        False when the worker finishes it (PostgreSQL always; SQLite when a reader blocks)."""
        self._pending.set()
        if self.sqlite and self.checkpoint(self._checkpoint_wait):
            self._pending.clear()
            return True
        return False

    def request(self) -> None:
        """Personal data was deleted in the background (a purge): the worker scrubs it soon."""
        self._pending.set()

    def checkpoint(self, wait_seconds: float = 0.0) -> bool:
        """SQLite: copy the log into the database and truncate it; True when it was complete."""
        deadline = time.monotonic() + wait_seconds
        while True:
            with self._engine.connect() as connection:
                busy, _log_frames, _copied = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
                connection.commit()
            if not busy:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def vacuum(self, *, full: bool = False) -> None:
        """PostgreSQL: VACUUM the tables that held personal data, or rewrite (VACUUM FULL) those
        that hold addresses; outside any transaction."""
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in self._rewrite_tables if full else self._tables:
                connection.execute(text(f'VACUUM {"FULL " if full else ""}"{table}"'))
        if full:
            self._last_rewrite = time.monotonic()
        else:
            self._last_vacuum = time.monotonic()

    def scrub_pending(self) -> bool:
        """One step of the worker; True when something was scrubbed."""
        if not self._pending.is_set():
            return False if self.sqlite else self._rewrite_when_due()
        if self.sqlite:
            if self.checkpoint():
                self._pending.clear()
                return True
            return False
        if time.monotonic() - self._last_vacuum < self._vacuum_interval:
            return self._rewrite_when_due()
        self._pending.clear()  # an erasure committed during the VACUUM sets it again
        self.vacuum()
        self._rewrite_due = bool(self._rewrite_tables and self._rewrite_interval > 0)
        self._rewrite_when_due()
        return True

    def _rewrite_when_due(self) -> bool:
        if not self._rewrite_due:
            return False
        if self._last_rewrite is not None and time.monotonic() - self._last_rewrite < self._rewrite_interval:
            return False
        self._rewrite_due = False
        self.vacuum(full=True)
        return True

    async def run(self) -> None:
        while True:
            try:
                if await asyncio.to_thread(self.scrub_pending):
                    log.info("deleted personal data scrubbed from the database files")
            except Exception as error:  # database away: try again
                self._pending.set()
                log.warning("scrubbing after an erasure failed: %s", type(error).__name__)
            await asyncio.sleep(1.0)
