"""`python -m services.<name>`: migrate, create topics, then serve HTTP and the bus together."""

import gc
import logging
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from npa.infrastructure import log_redaction
from npa.infrastructure.database import run_migrations
from npa.infrastructure.settings import load_settings
from npa.infrastructure.topics_admin import ensure_topics


def serve(service: str, create_app: Callable[..., FastAPI], migrations_dir: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_redaction.install()  # no e-mail address or request input in any line, tracebacks included
    for chatty in ("kafka", "aiokafka"):  # connection chatter at INFO drowns the service's own lines
        logging.getLogger(chatty).setLevel(logging.WARNING)
    settings = load_settings(service)
    run_migrations(migrations_dir, settings.database_url)
    ensure_topics(settings.kafka_bootstrap, settings.kafka_partitions, security=settings.kafka_security,
                  replication_factor=settings.kafka_replication_factor)
    app = create_app(settings)
    settle_garbage_collector()
    # log_config=None: uvicorn's loggers propagate to the root handler and its redaction filter
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False, log_config=None)


# Young collections every 10,000 net allocations instead of 700: a batch of events allocates tens
# of thousands of short-lived objects (ADR 0009).
GC_THRESHOLDS = (10_000, 10, 10)


def settle_garbage_collector() -> None:
    """The ~160,000 objects made at start (frameworks, models, templates) live as long as the
    process: frozen, a full collection no longer walks them (it took 110-160 ms and showed as
    /reports p95 spikes, ADR 12), and collections come less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
