"""Another writer, caught in the act: a transaction that changed a row and has not committed
yet, while the write under test runs in a thread. On PostgreSQL the other holds the row's lock;
on SQLite it holds the process's write turn (npa.infrastructure.database). The write under test
must wait for it; the helper commits the other as soon as the write under test waits, which it
sees in pg_stat_activity or in the waiting thread's frames, with no hook in the code."""

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import text
from sqlmodel import Session

from npa.infrastructure.unit_of_work import EngineUnitOfWork

T = TypeVar("T")


def after_a_concurrent_write(uow: EngineUnitOfWork, change: str, parameters: dict, write: Callable[[], T]) -> T:
    """Runs `write` while another transaction has made `change` (SQL) and not committed it; returns
    what `write` returns, once the other transaction committed."""
    with Session(uow.engine) as other:
        other.execute(text(change), parameters)
        with ThreadPoolExecutor(1) as pool:
            started: Future[int] = pool.submit(threading.get_ident)
            writing = pool.submit(write)
            _wait_until_blocked(uow, started.result())
            other.commit()
            return writing.result(timeout=30)


def _wait_until_blocked(uow: EngineUnitOfWork, thread_id: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if uow.engine.dialect.name == "postgresql":
            with uow.engine.connect() as probe:  # a transaction of its own: pg_stat_activity is read once per transaction
                blocked = probe.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'")).scalar_one()
        else:
            blocked = _waits_for_the_write_turn(thread_id)
        if blocked:
            return
        time.sleep(0.02)
    raise AssertionError("the write under test never waited for the other transaction")


def _waits_for_the_write_turn(thread_id: int) -> bool:
    frame = sys._current_frames().get(thread_id)  # noqa: SLF001 - where the thread is, without a hook in the code
    while frame is not None:
        if frame.f_code.co_name == "_before_write":
            return True
        frame = frame.f_back
    return False
