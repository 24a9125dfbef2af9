"""The wake-up a consumer thread gives the mail sender and the relay: sets from threads are
coalesced, and none that follows a clear is lost (the waiter reads after it clears)."""

import asyncio

from npa.infrastructure.wakeup import Wakeup


async def test_a_set_from_a_thread_after_a_clear_is_never_lost():
    wakeup = Wakeup()
    wakeup.bind()
    for _round in range(3):
        await asyncio.to_thread(lambda: [wakeup.set() for _ in range(100)])  # a burst of commits
        assert wakeup.is_set()
        wakeup.clear()
        assert not wakeup.is_set()
    await asyncio.to_thread(wakeup.set)
    await wakeup.wait(60)  # returns at once: it is set
    assert wakeup.is_set()


async def test_a_set_before_the_waiter_binds_is_left_to_its_first_poll():
    wakeup = Wakeup()
    wakeup.set()  # no loop yet: nothing to wake
    assert not wakeup.is_set()
