"""Prometheus metrics every service exports (process metrics come from the default registry)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "npa_events_published_total", "Events published to Kafka from the outbox", ["topic", "type"]
)
EVENTS_CONSUMED = Counter(
    "npa_events_consumed_total",
    "Events taken from Kafka, by outcome (applied, duplicate, stale, dead_lettered)",
    ["topic", "type", "outcome"],
)
DLQ_MESSAGES = Counter("npa_dlq_messages_total", "Messages sent to a dead-letter topic", ["topic"])
CONSUMER_RETRIES = Counter("npa_consumer_retries_total", "Handler attempts that failed and were retried", ["topic"])
HANDLER_SECONDS = Histogram(
    "npa_handler_duration_seconds",
    "Time to apply one event, database commit included",
    ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PENDING = Gauge("npa_outbox_pending", "Outbox rows not yet published")
OUTBOX_OLDEST_AGE = Gauge("npa_outbox_pending_oldest_age_seconds", "Age of the oldest unpublished outbox row")
HTTP_SECONDS = Histogram(
    "npa_http_request_duration_seconds",
    "HTTP request duration by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
