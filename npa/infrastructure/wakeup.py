"""A wake-up signal that any thread may give to an asyncio task."""

import asyncio
import contextlib


class Wakeup:
    """An asyncio.Event that worker threads may set: sync routes and bus handlers run in
    threads, and a plain Event.set from there would not wake the loop until its next timer.

    The waiter clears it before it reads what there is to do: a `set` that finds the event
    already set (or a wake-up already on its way to the loop) adds nothing and is dropped, so
    a consumer committing a hundred batches a second does not write a hundred times to the
    loop's self-pipe (ADR 23)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_its_way = False

    def bind(self) -> None:
        """Called by the waiting task, on its loop, before it first waits."""
        self._loop = asyncio.get_running_loop()

    def set(self) -> None:
        loop = self._loop
        if loop is None:
            return  # not running yet: the first poll picks the work up
        if self._on_its_way or self._event.is_set():
            return
        self._on_its_way = True
        with contextlib.suppress(RuntimeError):  # loop already closed at shutdown
            loop.call_soon_threadsafe(self._arrive)

    def _arrive(self) -> None:
        self._on_its_way = False
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
