"""What each asyncio task awaits, printed shortly before pytest-timeout ends a hung test.

pytest-timeout dumps every thread's stack; an async test that hangs shows only its event loop
idling in `select`, which says nothing about the await that never returns. This prints the
stack of every task of every running loop, so the report names it.
"""

import asyncio
import gc
import io
import sys
import threading
from collections.abc import Iterator

import pytest

MARGIN_SECONDS = 15.0  # before pytest-timeout's own report


def running_loops() -> list[asyncio.AbstractEventLoop]:
    return [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and o.is_running()]


def task_stacks(loop: asyncio.AbstractEventLoop) -> str:
    report = io.StringIO()
    for task in asyncio.all_tasks(loop):
        print(f"--- task {task.get_name()}: {task.get_coro()!r}", file=report)
        task.print_stack(limit=12, file=report)
    return report.getvalue()


def print_task_stacks() -> None:
    for loop in running_loops():
        stacks = task_stacks(loop)  # read while the loop idles in select; it never returns to us
        print(f"+++ asyncio tasks of {loop!r} (timeout in {MARGIN_SECONDS:.0f} s)\n{stacks}", file=sys.stderr)


def timeout_of(item: pytest.Item) -> float | None:
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0])
    configured = item.config.getini("timeout")
    return float(configured) if configured else None


@pytest.fixture(autouse=True)
def report_hung_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    timeout = timeout_of(request.node)
    if not timeout or timeout <= MARGIN_SECONDS:
        yield
        return
    timer = threading.Timer(timeout - MARGIN_SECONDS, print_task_stacks)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
