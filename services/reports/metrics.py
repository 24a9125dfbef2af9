"""Business gauge `npa_reports_active_offers{district,field}`, computed when Prometheus scrapes.

Read from the coverage counts at scrape time rather than set after each event: one small
query per scrape (every 15 s) instead of work per event, the value always equals what the
report API shows, it is right from the first scrape after a restart, and every replica
reports the same committed truth instead of only the events it happened to consume.
Several replicas still give one series each: aggregate with `max without (instance)`.
"""

import logging
from collections.abc import Iterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from npa.contracts.reference import FIELDS, districts
from services.reports import domain, queries

log = logging.getLogger(__name__)

ACTIVE_OFFERS = "npa_reports_active_offers"
STATEWIDE = "statewide"


class ActiveOffersCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._family()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        try:
            counts = queries.active_offer_counts(self._engine)
        except Exception as error:  # a scrape must not fail because the database is away; /readyz says so
            log.warning("cannot compute %s: %s", ACTIVE_OFFERS, type(error).__name__)
            return
        for district in districts():
            for field in FIELDS:
                family.add_metric([district, field], counts.get((district, field), 0))
        for field in FIELDS:
            family.add_metric([STATEWIDE, field], counts.get((domain.STATEWIDE, field), 0))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            ACTIVE_OFFERS,
            "Published offers per district (AGS, or 'statewide' for district null) and field of action",
            labels=["district", "field"],
        )


def with_active_offers_gauge(app: FastAPI, engine: Engine, registry: CollectorRegistry = REGISTRY) -> None:
    """Registers the collector for the app's lifetime, so several apps in one process (tests) do not clash."""
    collector = ActiveOffersCollector(engine)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI):  # noqa: ANN202
        registry.register(collector)
        try:
            async with inner(running) as state:
                yield state
        finally:
            registry.unregister(collector)

    app.router.lifespan_context = lifespan
