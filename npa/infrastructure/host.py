"""`python -m services.<name>`: migrate, create topics, then serve HTTP and the bus together."""

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
    # log_config=None: uvicorn's loggers propagate to the root handler and its redaction filter
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False, log_config=None)
