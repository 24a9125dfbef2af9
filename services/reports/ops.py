"""Operations view: consumer lag of every platform consumer group per topic and partition, the
dead-letter topics' sizes, and links to each service's /metrics (outbox backlog is per service).

Read from Kafka with kafka-python's admin client (npa.infrastructure.consumer_lag), at most
every 5 s however often the page is loaded, and never waiting more than 3 s for the broker.
"""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import groupby
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from npa.contracts import topics
from npa.infrastructure.consumer_lag import PLATFORM_GROUPS, LagSnapshot, cached_lag
from npa.infrastructure.metrics import CachedReading
from npa.infrastructure.pages import make_templates
from npa.infrastructure.settings import DEFAULT_PORTS, Settings

SERVICE_NAMES = {"actors": "Akteure", "offers": "Angebote", "notifications": "Benachrichtigungen",
                 "reports": "Berichte"}
_create_lock = threading.Lock()


@asynccontextmanager
async def _close_reader(app: FastAPI) -> AsyncIterator[None]:
    yield
    reading = getattr(app.state, "ops_lag", None)
    if reading is not None:
        reading.close()


router = APIRouter(tags=["operations"], lifespan=_close_reader)
templates = make_templates(Path(__file__).parent)


def _reading(request: Request) -> CachedReading[LagSnapshot]:
    state = request.app.state
    with _create_lock:
        if getattr(state, "ops_lag", None) is None:
            settings: Settings = state.runtime.settings
            state.ops_lag = cached_lag(settings.kafka_bootstrap, settings.kafka_security, PLATFORM_GROUPS,
                                       ttl=5.0, timeout=3.0)
        return state.ops_lag


def ops_view(snapshot: LagSnapshot | None, error: str | None, settings: Settings) -> dict:
    """What the page and the JSON show; `snapshot` None: Kafka could not be asked (`error` says why)."""
    outbox = [{"service": name, "name": SERVICE_NAMES[name], "metrics_url": f"{settings.public_base_urls[name]}/metrics"}
              for name in DEFAULT_PORTS]
    if snapshot is None:
        return {"available": False, "error": error or "unknown", "read_at": None, "groups": [], "dead_letters": [],
                "outbox": outbox}
    groups = []
    for group in PLATFORM_GROUPS:
        rows = [item for item in snapshot.partitions if item.group == group]
        group_topics = [
            {"topic": topic, "lag": sum(item.lag for item in items),
             "partitions": [{"partition": item.partition, "committed": item.committed, "start": item.start,
                             "end": item.end, "lag": item.lag} for item in items]}
            for topic, items in ((topic, list(items)) for topic, items in groupby(rows, key=lambda item: item.topic))
        ]
        groups.append({"group": group, "name": SERVICE_NAMES[group], "lag": snapshot.group_lag(group),
                       "topics": group_topics})
    dead_letters = [{"topic": topics.dead_letter(topic), "origin_topic": topic,
                     "messages": snapshot.dead_letters.get(topics.dead_letter(topic))}
                    for topic in topics.ALL if topics.dead_letter(topic) in snapshot.dead_letters]
    return {"available": True, "error": None, "read_at": snapshot.read_at.isoformat(timespec="seconds"),
            "groups": groups, "dead_letters": dead_letters, "outbox": outbox}


def _current(request: Request) -> dict:
    reading = _reading(request)
    snapshot = reading.get()
    return ops_view(snapshot, reading.last_error, request.app.state.runtime.settings)


@router.get("/api/v1/ops/lag", summary="Consumer lag of every platform consumer group and dead-letter topic sizes",
            responses={503: {"description": "Kafka could not be asked; `error` says why"}})
def lag_json(request: Request) -> JSONResponse:
    """Per group (offers, notifications, reports), topic and partition: committed offset, start and end
    offset and lag (records not yet read); records on each `<topic>.dlq`; where each service's outbox
    backlog is (its /metrics: `npa_outbox_pending`, `npa_outbox_pending_oldest_age_seconds`)."""
    view = _current(request)
    return JSONResponse(view, status_code=200 if view["available"] else 503)


@router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
def ops_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "ops.html", _current(request))
