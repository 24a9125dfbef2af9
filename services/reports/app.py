"""Wiring of the reports service: settings, runtime with its subscriptions and retention, routers, gauge."""

import os
from dataclasses import replace

from fastapi import FastAPI

from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from services.reports import api, handlers, metrics, ops, pages, workers
from services.reports.pages import dead_letters

FETCH_MAX_WAIT_MS = 500
"""The reports' consumer waits this long per fetch (NPA_REPORTS_FETCH_MAX_WAIT_MS), not the
platform's 50 ms: nobody waits on a read model, and the local broker answers a fetch only when
the wait expires (ADR 5), so the wait sets the batch size of steady traffic. At 200 offers/s
(~4 alerts each) a batch cost ~5 ms of CPU whatever it held: 1.8 ms per offer with 50 ms
fetches, about a third of it with 500 (ADR 12, 2026-11-30 evening). Production's wait is
500 anyway (ADR 9)."""


def reports_settings() -> Settings:
    settings = load_settings("reports")
    wait = os.environ.get("NPA_REPORTS_FETCH_MAX_WAIT_MS", "").strip()
    return replace(settings, kafka_fetch_max_wait_ms=int(wait) if wait else max(
        settings.kafka_fetch_max_wait_ms, FETCH_MAX_WAIT_MS))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or reports_settings()
    runtime = ServiceRuntime(settings, handlers.HANDLERS)
    runtime.add_worker("reports-retention", workers.pruner(runtime.engine, settings.retention_interval_seconds))
    app = create_service_app(
        runtime,
        title="NPA Berichte / Reports",
        description=(
            "Read models of offers, good examples, actors and notifications per district × field and "
            "ARL region; consumes npa.offers.v1, npa.examples.v1, npa.actors.v1, npa.notifications.v1."
        ),
        routers=[api.router, pages.router, ops.router, dead_letters.router],
    )
    metrics.with_active_offers_gauge(app, runtime.engine)
    return app
