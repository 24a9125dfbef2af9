"""Settings from the environment; every one has a local default (DESIGN.md, Configuration)."""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORTS = {"actors": 8001, "offers": 8002, "notifications": 8003, "reports": 8004}
# How long a consumer's batch smaller than its budget waits to fill: 0 on the alert path; nobody
# waits on the reports' read models, and a batch costs about the same whatever it holds (ADR 9).
DEFAULT_CONSUMER_LINGER_MS = {"reports": 500}


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_at_least(name: str, default: int, minimum: int = 1) -> int:
    value = _env_int(name, default)
    if value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class KafkaSecurity:
    """How the services authenticate to Kafka: PLAINTEXT locally; SASL and/or TLS on a managed cluster.

    One description for both clients: FastStream/aiokafka (bus) and kafka-python (topic admin,
    consumer lag). See runtime.broker_security and kafka_client_config."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    ssl_cafile: str = ""  # empty: the system's trusted CAs

    def __post_init__(self) -> None:
        if self.protocol not in SECURITY_PROTOCOLS:
            raise ValueError(f"NPA_KAFKA_SECURITY_PROTOCOL: {self.protocol!r} is not one of {', '.join(SECURITY_PROTOCOLS)}")
        if self.uses_sasl:
            if self.sasl_mechanism not in SASL_MECHANISMS:
                raise ValueError(
                    f"NPA_KAFKA_SASL_MECHANISM: {self.sasl_mechanism!r} is not one of {', '.join(SASL_MECHANISMS)}"
                )
            if not (self.username and self.password):
                raise ValueError("NPA_KAFKA_SASL_USERNAME and NPA_KAFKA_SASL_PASSWORD are required with SASL")
        elif self.sasl_mechanism or self.username:
            raise ValueError(f"NPA_KAFKA_SASL_*: set NPA_KAFKA_SECURITY_PROTOCOL=SASL_SSL (now {self.protocol})")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def kafka_client_config(self) -> dict[str, object]:
        """Keyword arguments for kafka-python clients (KafkaAdminClient)."""
        config: dict[str, object] = {"security_protocol": self.protocol}
        if self.uses_tls and self.ssl_cafile:
            config["ssl_cafile"] = self.ssl_cafile
        if self.uses_sasl:
            config.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.username,
                          sasl_plain_password=self.password)
        return config


def load_kafka_security() -> KafkaSecurity:
    return KafkaSecurity(
        protocol=_env("NPA_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper(),
        sasl_mechanism=_env("NPA_KAFKA_SASL_MECHANISM", "").upper(),
        username=_env("NPA_KAFKA_SASL_USERNAME", ""),
        password=_env("NPA_KAFKA_SASL_PASSWORD", ""),
        ssl_cafile=_env("NPA_KAFKA_SSL_CAFILE", ""),
    )


def persisted_secret(var_dir: Path, name: str) -> str:
    """A random secret generated into var/ on first use, so restarts keep it."""
    path = var_dir / name
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # written by an older version readable for others
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:  # created 0600 from the start: never readable by others, not even for a moment
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process was first: use its secret
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    port: int
    host: str
    kafka_bootstrap: str
    kafka_partitions: int
    kafka_replication_factor: int
    kafka_session_timeout_ms: int
    kafka_heartbeat_interval_ms: int
    kafka_fetch_max_wait_ms: int
    consumer_max_attempts: int
    consumer_retry_base_seconds: float
    outbox_poll_seconds: float
    expiry_interval_seconds: float
    admin_token: str
    secret_key: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str = field(repr=False)
    smtp_starttls: bool
    mail_from: str
    var_dir: Path
    public_base_urls: dict[str, str]
    kafka_security: KafkaSecurity = KafkaSecurity()
    # The pipeline (ADR 9): how much is applied, published and kept at a time.
    consumer_max_batch: int = 500
    consumer_batch_seconds: float = 0.2
    consumer_linger_ms: int = 0
    consumer_graceful_seconds: float = 10.0  # on stop or rebalance, running batches get this long to commit
    kafka_linger_ms: int = 2
    # How old the clients' view of the topics may get, and how often a service checks that every
    # platform topic exists: a broker that lost its log (the local memory broker after a
    # restart) gets them back within seconds.
    kafka_metadata_max_age_ms: int = 5000
    topic_check_seconds: float = 5.0
    outbox_batch_size: int = 2000
    outbox_retention_hours: float = 24.0
    inbox_retention_hours: float = 168.0
    retention_interval_seconds: float = 300.0
    # offers: the replay window of signed partner messages (ADR 0013)
    partner_signature_max_age_hours: float = 72.0
    partner_signature_max_skew_seconds: float = 300.0
    mail_from_name: str = "Niedersachsen packt an – Benachrichtigungen"  # the sender's display name

    @property
    def public_base_url(self) -> str:
        return self.public_base_urls[self.service]


def public_base_url(service: str) -> str:
    """Base URL of a service's pages in links (also for migrations, which load no settings)."""
    port = _env_int(f"NPA_{service.upper()}_PORT", DEFAULT_PORTS[service])
    return _env(f"NPA_PUBLIC_BASE_URL_{service.upper()}", f"http://127.0.0.1:{port}").rstrip("/")


def load_settings(service: str) -> Settings:
    if service not in DEFAULT_PORTS:
        raise ValueError(f"unknown service {service!r}")
    upper = service.upper()
    var_dir = Path(_env("NPA_VAR_DIR", "var"))
    return Settings(
        service=service,
        database_url=_env(f"NPA_{upper}_DATABASE_URL", f"sqlite:///{var_dir}/{service}.db"),
        port=_env_int(f"NPA_{upper}_PORT", DEFAULT_PORTS[service]),
        host=_env("NPA_HOST", "127.0.0.1"),
        kafka_bootstrap=_env("NPA_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        kafka_partitions=_env_int("NPA_KAFKA_PARTITIONS", 4),
        # of topics created at start: 1 on one broker; managed clusters usually require 3
        kafka_replication_factor=_env_int("NPA_KAFKA_REPLICATION_FACTOR", 1),
        # Short locally so a consumer group forms in ~1 s; production sets 10000+.
        kafka_session_timeout_ms=_env_int("NPA_KAFKA_SESSION_TIMEOUT_MS", 2000),
        kafka_heartbeat_interval_ms=_env_int("NPA_KAFKA_HEARTBEAT_INTERVAL_MS", 500),
        # The local broker answers a fetch only when this expires: it bounds hop latency.
        kafka_fetch_max_wait_ms=_env_int("NPA_KAFKA_FETCH_MAX_WAIT_MS", 50),
        consumer_max_attempts=_env_int("NPA_CONSUMER_MAX_ATTEMPTS", 5),
        consumer_retry_base_seconds=float(_env("NPA_CONSUMER_RETRY_BASE_SECONDS", "0.2")),
        outbox_poll_seconds=float(_env("NPA_OUTBOX_POLL_SECONDS", "1.0")),
        # offers: how often the scheduler looks for offers past their end date
        expiry_interval_seconds=float(_env("NPA_OFFERS_EXPIRY_INTERVAL_SECONDS", "300")),
        admin_token=_env("NPA_ADMIN_TOKEN", "") or persisted_secret(var_dir, "admin_token"),
        secret_key=_env("NPA_SECRET_KEY", "") or persisted_secret(var_dir, "secret_key"),
        smtp_host=_env("NPA_SMTP_HOST", "127.0.0.1"),
        smtp_port=_env_int("NPA_SMTP_PORT", 1025),
        smtp_user=_env("NPA_SMTP_USER", ""),
        smtp_password=_env("NPA_SMTP_PASSWORD", ""),
        smtp_starttls=_env_bool("NPA_SMTP_STARTTLS", False),
        mail_from=_env("NPA_MAIL_FROM", "alerts@localhost"),
        var_dir=var_dir,
        public_base_urls={name: public_base_url(name) for name in DEFAULT_PORTS},
        kafka_security=load_kafka_security(),
        consumer_max_batch=_env_at_least("NPA_CONSUMER_MAX_BATCH", 500),
        consumer_batch_seconds=float(_env("NPA_CONSUMER_BATCH_SECONDS", "0.2")),
        consumer_linger_ms=_env_at_least(f"NPA_{upper}_CONSUMER_LINGER_MS", DEFAULT_CONSUMER_LINGER_MS.get(service, 0),
                                         minimum=0),
        consumer_graceful_seconds=float(_env("NPA_CONSUMER_GRACEFUL_SECONDS", "10")),
        kafka_linger_ms=_env_int("NPA_KAFKA_LINGER_MS", 2),
        kafka_metadata_max_age_ms=_env_at_least("NPA_KAFKA_METADATA_MAX_AGE_MS", 5000),
        topic_check_seconds=float(_env("NPA_KAFKA_TOPIC_CHECK_SECONDS", "5")),
        outbox_batch_size=_env_at_least("NPA_OUTBOX_BATCH_SIZE", 2000),
        outbox_retention_hours=float(_env("NPA_OUTBOX_RETENTION_HOURS", "24")),
        inbox_retention_hours=float(_env("NPA_INBOX_RETENTION_HOURS", "168")),
        retention_interval_seconds=float(_env("NPA_RETENTION_INTERVAL_SECONDS", "300")),
        partner_signature_max_age_hours=float(_env("NPA_PARTNER_SIGNATURE_MAX_AGE_HOURS", "72")),
        partner_signature_max_skew_seconds=float(_env("NPA_PARTNER_SIGNATURE_MAX_SKEW_SECONDS", "300")),
        mail_from_name=_env("NPA_MAIL_FROM_NAME", "Niedersachsen packt an – Benachrichtigungen"),
    )
