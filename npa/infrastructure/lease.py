"""A lease that at most one process of a service holds at a time: the outbox relay's.

PostgreSQL: a session-level advisory lock on a connection kept for the purpose. The server
drops it when that connection ends — at once when the holder's process dies (its socket
closes), within `idle_session_timeout` when the holder hangs or is cut off, since a live
holder touches the connection at least every few seconds.

SQLite: an exclusive `flock` on a file beside the database; the kernel drops it when the
holder's process dies. SQLite is one machine's database, so a file lock is enough.
"""

import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)


class Lease(Protocol):
    def try_acquire(self) -> bool:
        """Take the lease if it is free; True while this process holds it."""

    def still_held(self) -> bool:
        """False when the lease was lost (connection gone); call try_acquire again."""

    def release(self) -> None: ...

    def discard(self) -> None:
        """Release, and remove what the lease left behind (its lock file): for leases named
        after a process instance, taken over once that process is gone."""


def lease_for(engine: Engine, name: str, *, idle_timeout_seconds: int = 15) -> Lease:
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, name, idle_timeout_seconds)
    database = engine.url.database
    if not database or database == ":memory:":
        return ProcessLease()
    return FileLease(Path(f"{database}.{name}.lock"))


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class AdvisoryLease:
    def __init__(self, engine: Engine, name: str, idle_timeout_seconds: int) -> None:
        self._engine = engine
        self._key = advisory_key(f"npa:{name}")
        self._idle_timeout_ms = idle_timeout_seconds * 1000
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None and self.still_held():
            return True
        self.release()
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            # The server ends this session, and with it the lock, when the holder stops touching it.
            connection.execute(text(f"SET idle_session_timeout = {int(self._idle_timeout_ms)}"))
            acquired = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar()
        except Exception:
            connection.invalidate()
            connection.close()
            raise
        if not acquired:
            connection.execute(text("RESET idle_session_timeout"))  # it goes back to the pool
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            # A session-level advisory lock lasts as long as its session: alive means held.
            self._connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("lease connection lost: %s", type(error).__name__)
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            self._connection.execute(text("RESET idle_session_timeout"))
            self._connection.close()
        except Exception:
            self._drop()
        self._connection = None

    def discard(self) -> None:
        self.release()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except Exception:
                pass
        self._connection = None


class FileLease:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def discard(self) -> None:
        if self._fd is not None or self.try_acquire():
            self._path.unlink(missing_ok=True)  # while holding it: nobody else holds this file
        self.release()


class ProcessLease:
    """An in-memory database belongs to one process: nobody else can relay it."""

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def discard(self) -> None:
        pass
