"""A wake-up signal that any thread may give to an asyncio task."""

import asyncio
import contextlib


class Wakeup:
    """An asyncio.Event that worker threads may set: sync routes and bus handlers run in
    threads, and a plain Event.set from there would not wake the loop until its next timer."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        """Called by the waiting task, on its loop, before it first waits."""
        self._loop = asyncio.get_running_loop()

    def set(self) -> None:
        loop = self._loop
        if loop is None:
            return  # not running yet: the first poll picks the work up
        with contextlib.suppress(RuntimeError):  # loop already closed at shutdown
            loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
