"""A service's stop always ends: a worker that will not stop is left behind with a warning."""

import asyncio
import logging
from dataclasses import replace

from npa.infrastructure import runtime as runtime_module
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.settings import load_settings


async def test_a_worker_that_ignores_its_cancellation_does_not_hold_up_the_stop(kafka_bootstrap, tmp_path,
                                                                                 monkeypatch, caplog):
    monkeypatch.setattr(runtime_module, "STOP_MARGIN_SECONDS", 0.5)
    settings = replace(load_settings("reports"), service="stop-test", kafka_bootstrap=kafka_bootstrap,
                       consumer_graceful_seconds=0.5, database_url=f"sqlite:///{tmp_path}/stop.db")
    runtime = ServiceRuntime(settings)
    stubborn_started, let_go = asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:
        stubborn_started.set()
        while not let_go.is_set():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:  # the kind of bug this guards against: cancellation swallowed
                if let_go.is_set():
                    raise

    runtime.add_worker("stubborn", stubborn)
    await runtime.start()
    try:
        await asyncio.wait_for(stubborn_started.wait(), 10)
        with caplog.at_level(logging.WARNING, logger=runtime_module.__name__):
            await asyncio.wait_for(runtime.stop(), 30)
        assert "stopping the workers took longer than 1 s; left behind" in caplog.text
        assert runtime.producer is not None and runtime.producer._closed  # noqa: SLF001 - the steps after it ran
    finally:
        let_go.set()  # end it, so that it does not outlive the test
        left_behind = [task for task in asyncio.all_tasks() if task.get_name() == "stubborn"]
        for task in left_behind:
            task.cancel()
        await asyncio.gather(*left_behind, return_exceptions=True)
