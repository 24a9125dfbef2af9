"""Wiring of the offers service: settings, runtime with its subscriptions, routers."""

from datetime import timedelta

from fastapi import FastAPI

from npa.contracts import topics
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from services.offers import api, editor, handlers, pages, workers
from services.offers.api import partner_imports
from services.offers.usecases import partner_status
from services.offers.usecases.signing_keys import SignatureWindow


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings("offers")
    window = SignatureWindow(timedelta(hours=settings.partner_signature_max_age_hours),
                             timedelta(seconds=settings.partner_signature_max_skew_seconds))
    if window.max_age >= timedelta(hours=settings.inbox_retention_hours):
        raise ValueError("NPA_PARTNER_SIGNATURE_MAX_AGE_HOURS must stay below NPA_INBOX_RETENTION_HOURS "
                         "(a replay older than the inbox's memory must be refused by its age; ADR 0013)")
    runtime = ServiceRuntime(settings, handlers.HANDLERS, publishes=(topics.OFFERS, topics.EXAMPLES),
                             dependencies={"base_url": settings.public_base_url, "signature_window": window})
    runtime.add_worker("offer-expiry", workers.expiry(runtime, settings.expiry_interval_seconds))
    runtime.on_dead_letter(lambda topic, key, value, headers: partner_status.record_parked(
        runtime.engine, topic, key, value, headers.get("npa-dlq-reason", "")))  # partners read why
    return create_service_app(
        runtime,
        title="NPA Angebote / Offers",
        description="Integration offers, good examples and partners; publishes npa.offers.v1 and npa.examples.v1.",
        routers=[api.router, pages.router, editor.router],
        body_limit_overrides=[(partner_imports.IMPORT_PATH, partner_imports.IMPORT_LIMIT)],
    )
