"""Prometheus metrics of the notifications service. Label values are bounded sets."""

from prometheus_client import Counter, Gauge, Histogram

MAILS = Counter(
    "npa_notifications_mails_total",
    "Mail attempts by kind (confirmation, alert, update, withdrawal, digest), outcome (sent, deferred, failed) "
    "and reason (accepted, smtp_4xx, smtp_5xx, connection, timeout, rejected, rendering)",
    ["kind", "outcome", "reason"],
)
WITHHELD = Counter(
    "npa_notifications_mails_withheld_total",
    "Claimed mails not attempted: skipped (subscription cancelled, item withdrawn first) or postponed "
    "(a withdrawal notice waiting for its alert)",
    ["kind", "outcome"],
)
PENDING = Gauge(
    "npa_notifications_pending_deliveries",
    "Deliveries not yet sent: due now, or waiting for a retry or a lease",
    ["state"],
)
OLDEST_DUE_AGE = Gauge("npa_notifications_oldest_due_age_seconds", "How long the oldest due delivery has waited")
EVENT_TO_ACCEPT = Histogram(
    "npa_notifications_event_to_accept_seconds",
    "From an offer, example or actor event's time to the SMTP server accepting the mail it caused",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600),
)
DIGESTS = Counter("npa_notifications_digests_total", "Digests built, by frequency and status (queued, empty)",
                  ["frequency", "status"])
PURGED = Counter("npa_notifications_unconfirmed_purged_total", "Subscribe requests deleted unconfirmed after 7 days")
UNRECORDED = Counter(
    "npa_notifications_outcomes_unrecorded_total",
    "Mail attempts whose outcome could not be recorded (the database away past the lease, or a write that "
    "fails each time): the mail may be sent again once its lease ends",
)
