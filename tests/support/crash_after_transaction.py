"""The offers service's consumer in a process that dies (SIGKILL) right after the first batch's
database transaction committed, before its offset commit reaches Kafka:

    python -m tests.support.crash_after_transaction DATABASE_URL BOOTSTRAP

Used by tests/integration/test_pipeline_batches.py to show that the redelivered records change
nothing. The kill comes from here, not from the platform's code: the processor is wrapped.
"""

import asyncio
import os
import signal
import sys
from dataclasses import replace

from npa.infrastructure.settings import load_settings
from services.offers.app import create_app


async def main(database_url: str, bootstrap: str) -> None:
    settings = replace(load_settings("offers"), database_url=database_url, kafka_bootstrap=bootstrap)
    app = create_app(settings)
    runtime = app.state.runtime
    applied = runtime.processor.process_batch

    async def apply_then_die(topic: str, partition: int, records: list):  # noqa: ANN202
        outcomes = await applied(topic, partition, records)
        if topic.endswith("partner.offers.v1") and outcomes.get("applied"):
            print(f"committed {outcomes['applied']}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return outcomes

    runtime.processor.process_batch = apply_then_die
    async with app.router.lifespan_context(app):
        print("ready", flush=True)
        await asyncio.sleep(120)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
