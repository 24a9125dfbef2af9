"""The notifications service's own settings, from the environment; every one has a default.

| variable (prefix NPA_NOTIFICATIONS_) | meaning | default |
|---|---|---|
| SMTP_CONNECTIONS | SMTP connections a sender round uses at once (lower it for a relay that allows fewer clients, ADR 23) | 16 |
| SMTP_TIMEOUT_SECONDS | longest one mail may take on the wire | 30 |
| SMTP_MAX_ATTEMPTS | tries of a mail after 4xx answers or connection trouble mid-transaction (a relay that cannot be reached costs no try) | 12 |
| SMTP_RETRY_BASE_SECONDS, SMTP_RETRY_MAX_SECONDS | exponential backoff (with jitter) between tries | 60, 21600 |
| SENDER_POLL_SECONDS | how often the sender looks for due mails when nothing woke it | 0.5 |
| SENDER_BATCH_SIZE | mails claimed per round | 200 |
| SENDER_LEASE_SECONDS | how long a round holds its mails (ADR 8) | 120 |
| SENDER_MAX_UNRECORDED | accepted mails whose record is not yet committed, at most; with SMTP_CONNECTIONS the bound of repeats after a crash (ADR 8, ADR 23) | 32 |
| DIGEST_DAILY_AT | local time of the daily digest | 07:00 |
| DIGEST_WEEKLY_DAY, DIGEST_WEEKLY_AT | day and local time of the weekly digest | monday, 07:00 |
| DIGEST_TIMEZONE | the local time zone of the digest times | Europe/Berlin |
| DIGEST_CHECK_SECONDS | how often the digest worker looks for due digests | 60 |
| PURGE_INTERVAL_SECONDS | how often unconfirmed requests older than 7 days are deleted | 3600 |
| ERASURE_REWRITE_HOURS | PostgreSQL: after an erasure, the subscriptions table is rewritten (VACUUM FULL) at most this often, so an erased address leaves the data files (ADR 15); 0: never | 24 |
| SUBSCRIBE_LIMIT_PER_ADDRESS | subscribe requests per address and window, `count/seconds` (ADR 20) | 5/3600 |
| SUBSCRIBE_LIMIT_PER_CLIENT | subscribe requests per client (IP; behind a proxy set uvicorn's FORWARDED_ALLOW_IPS) | 20/3600 |
| MANAGE_LINK_DAYS | how long a manage link (export, delete, preferences) in a mail works (ADR 20) | 30 |
| RETENTION_DAYS | deliveries, digests, digest items and item states older than this are deleted, but for what a guarantee needs (ADR 10); at least 8 | 30 |
"""

import os
from dataclasses import dataclass, field
from datetime import timedelta

from npa.infrastructure.backoff import Backoff
from npa.infrastructure.throttle import Limit
from services.notifications.domain import DigestSchedule

PREFIX = "NPA_NOTIFICATIONS_"
MIN_RETENTION = timedelta(days=8)


def _env(name: str, default: str) -> str:
    value = os.environ.get(PREFIX + name, "").strip()
    return value or default


@dataclass(frozen=True)
class SenderPolicy:
    poll_seconds: float = 0.5
    batch_size: int = 200
    connections: int = 16  # mails in flight at once: a send waits on round trips, not on CPU (ADR 23)
    lease_seconds: float = 120.0
    max_unrecorded: int = 32  # outcomes handed to the recorder and not yet committed; + connections = 48 (ADR 8, 23)
    smtp_timeout_seconds: float = 30.0
    postpone_seconds: float = 30.0  # a withdrawal notice waiting for its alert to leave first
    max_attempts: int = 12  # tries of one mail; 5xx replies fail at once
    backoff: Backoff = Backoff(base_seconds=60.0, max_seconds=6 * 3600.0, jitter=0.5)  # between tries of one mail

    def __post_init__(self) -> None:
        if self.connections < 1 or self.batch_size < 1 or self.max_unrecorded < 1:
            raise ValueError("NPA_NOTIFICATIONS_SMTP_CONNECTIONS, _SENDER_BATCH_SIZE and _SENDER_MAX_UNRECORDED "
                             "must be at least 1")
        if self.lease_seconds < 2 * self.smtp_timeout_seconds:
            raise ValueError("NPA_NOTIFICATIONS_SENDER_LEASE_SECONDS must be at least twice the SMTP timeout")


@dataclass(frozen=True)
class NotificationsConfig:
    sender: SenderPolicy = field(default_factory=SenderPolicy)
    schedule: DigestSchedule = field(default_factory=DigestSchedule)
    digest_check_seconds: float = 60.0
    purge_interval_seconds: float = 3600.0
    retention_days: float = 30.0
    erasure_rewrite_hours: float = 24.0
    subscribe_per_address: Limit = Limit("subscribe-address", 5, 3600)
    subscribe_per_client: Limit = Limit("subscribe-client", 20, 3600)
    manage_link_days: float = 30.0

    def __post_init__(self) -> None:
        if self.retention_days < MIN_RETENTION.days:
            raise ValueError(f"NPA_NOTIFICATIONS_RETENTION_DAYS must be at least {MIN_RETENTION.days}: the inbox "
                             "keeps event ids 7 days and a weekly digest must never be built twice")

    def retention(self, inbox_retention_hours: float) -> timedelta:
        """How long traffic rows are kept: the setting, and never less than the inbox keeps event ids."""
        return max(timedelta(days=self.retention_days), timedelta(hours=inbox_retention_hours))

    @classmethod
    def from_env(cls) -> "NotificationsConfig":
        backoff = Backoff(base_seconds=float(_env("SMTP_RETRY_BASE_SECONDS", "60")),
                          max_seconds=float(_env("SMTP_RETRY_MAX_SECONDS", "21600")), jitter=0.5)
        sender = SenderPolicy(
            poll_seconds=float(_env("SENDER_POLL_SECONDS", "0.5")),
            batch_size=int(_env("SENDER_BATCH_SIZE", "200")),
            connections=int(_env("SMTP_CONNECTIONS", "16")),
            lease_seconds=float(_env("SENDER_LEASE_SECONDS", "120")),
            max_unrecorded=int(_env("SENDER_MAX_UNRECORDED", "32")),
            smtp_timeout_seconds=float(_env("SMTP_TIMEOUT_SECONDS", "30")),
            max_attempts=int(_env("SMTP_MAX_ATTEMPTS", "12")),
            backoff=backoff,
        )
        schedule = DigestSchedule.parse(_env("DIGEST_DAILY_AT", "07:00"), _env("DIGEST_WEEKLY_DAY", "monday"),
                                        _env("DIGEST_WEEKLY_AT", "07:00"), _env("DIGEST_TIMEZONE", "Europe/Berlin"))
        return cls(sender, schedule, float(_env("DIGEST_CHECK_SECONDS", "60")),
                   float(_env("PURGE_INTERVAL_SECONDS", "3600")), float(_env("RETENTION_DAYS", "30")),
                   float(_env("ERASURE_REWRITE_HOURS", "24")),
                   _limit("subscribe-address", "SUBSCRIBE_LIMIT_PER_ADDRESS", "5/3600"),
                   _limit("subscribe-client", "SUBSCRIBE_LIMIT_PER_CLIENT", "20/3600"),
                   float(_env("MANAGE_LINK_DAYS", "30")))


def _limit(scope: str, name: str, default: str) -> Limit:
    """`count/seconds`, e.g. 5/3600; a count of 0 switches the limit off."""
    text = _env(name, default)
    count, _, seconds = text.partition("/")
    try:
        return Limit(scope, int(count), int(seconds))
    except ValueError as error:
        raise ValueError(f"{PREFIX}{name} must look like 5/3600 (count/seconds), got {text!r}") from error
