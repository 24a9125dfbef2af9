"""Publish a partner's offer changes onto `npa.partner.offers.v1` with kafka-python.

Each message is a CloudEvents 1.0 envelope in structured JSON mode, exactly as DESIGN.md
describes the inbound partner topic:

- key `<partner_id>:<external_id>` (one offer's changes stay in order on one partition),
- `source` `/partners/<partner_id>`, `subject` = the key,
- `type` `de.npa.partner.offer.upserted` with `data` `{"partner_id", "external_id", "offer"}`
  or `de.npa.partner.offer.deleted` with `data` `{"partner_id", "external_id"}`,
- headers `content-type: application/cloudevents+json`, `ce_type`, `ce_id`,
- signed with the partner's Ed25519 key: extension attributes `npakeyid` and `npasignature`
  (npa.contracts.signatures, ADR 0013); the offers service refuses an unsigned message, one
  signed by another partner's key or a revoked one, or one signed outside its replay window.

Offers are validated locally with `OfferBody` before anything is sent; the offers service
validates again and parks a message it cannot apply on `npa.partner.offers.v1.dlq` with the
reason in the header `npa-dlq-reason`.

The producer waits for all in-sync replicas (`acks="all"`), keeps one request in flight per
connection (retries cannot reorder an offer's changes) and does not use the idempotent
producer (not every Kafka-compatible broker supports it; the offers service deduplicates by
event id and ignores an unchanged offer). Install `crc32c` beside kafka-python: without it
kafka-python computes record checksums in pure Python, several times slower.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.record import util as record_util

from npa.contracts import topics
from npa.contracts.envelope import CONTENT_TYPE, CloudEvent, encode, new_event
from npa.contracts.events import partner_offers as events
from npa.contracts.offer_body import OfferBody
from npa.contracts.partner_lines import ParsedLine, describe
from npa.contracts.signatures import SigningKey


def fast_checksums() -> bool:
    """True when kafka-python uses the C `crc32c` package for record checksums."""
    return record_util.crc32c_c is not None


def upserted(partner_id: str, external_id: str, offer: OfferBody | dict[str, Any]) -> CloudEvent:
    """The envelope of an upsert; `offer` is validated with OfferBody (raises ValidationError)."""
    data = events.PartnerOfferUpserted.model_validate(
        {"partner_id": partner_id, "external_id": external_id, "offer": offer})
    return new_event(source=events.source_of(partner_id), type=events.UPSERTED,
                     subject=events.key_of(partner_id, external_id), data=data.model_dump(mode="json"))


def deleted(partner_id: str, external_id: str) -> CloudEvent:
    data = events.PartnerOfferDeleted(partner_id=partner_id, external_id=external_id)
    return new_event(source=events.source_of(partner_id), type=events.DELETED,
                     subject=events.key_of(partner_id, external_id), data=data.model_dump(mode="json"))


def headers_of(event: CloudEvent) -> list[tuple[str, bytes]]:
    return [("content-type", CONTENT_TYPE.encode()), ("ce_type", event.type.encode()), ("ce_id", event.id.encode())]


@dataclass
class PublishReport:
    """What happened to the lines of a file: sent, invalid (not sent), failed (broker refused)."""

    sent: int = 0
    invalid: list[ParsedLine] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line, error)
    sent_ids: list[tuple[int, str]] = field(default_factory=list)  # (line, envelope id) of each message sent

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.failed

    def summary(self) -> str:
        return f"sent {self.sent}, invalid {len(self.invalid)}, failed {len(self.failed)}"

    def problems(self) -> list[str]:
        return [f"line {line.line}: {describe(line.errors)}" for line in self.invalid] + \
               [f"line {line}: not sent: {problem}" for line, problem in self.failed]


class PartnerClient:
    """A partner's producer for `npa.partner.offers.v1`; signs every message.

        key = SigningKey.from_file("partner.key")  # npa-partner keygen
        with PartnerClient("p-123", "kafka.example.org:9093", signing_key=key, security_protocol="SASL_SSL",
                           sasl_mechanism="SCRAM-SHA-512", sasl_username="p-123",
                           sasl_password=os.environ["NPA_KAFKA_PASSWORD"]) as client:
            client.upsert("kurs-17", {"title": "Deutschkurs A1", "fields": ["sprache"]})
            client.delete("kurs-9")
    """

    def __init__(
        self,
        partner_id: str,
        bootstrap_servers: str | list[str],
        *,
        signing_key: SigningKey,
        security_protocol: str = "PLAINTEXT",
        sasl_mechanism: str | None = None,
        sasl_username: str | None = None,
        sasl_password: str | None = None,
        compression_type: str | None = None,
        topic: str = topics.PARTNER_OFFERS,
        **producer_options: Any,
    ) -> None:
        if not isinstance(signing_key, SigningKey):
            raise TypeError("signing_key: the partner's SigningKey (SigningKey.from_file(path)); the offers "
                            "service refuses unsigned messages")
        self.partner_id = partner_id
        self.signing_key = signing_key
        self.topic = topic
        options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": f"npa-partner-{partner_id}",
            "acks": "all",
            "enable_idempotence": False,
            "max_in_flight_requests_per_connection": 1,
            "compression_type": compression_type,
            "linger_ms": 5,
            "security_protocol": security_protocol,
        }
        if sasl_mechanism:
            options.update(sasl_mechanism=sasl_mechanism, sasl_plain_username=sasl_username,
                           sasl_plain_password=sasl_password)
        options.update(producer_options)
        self.producer = KafkaProducer(**options)

    def send(self, event: CloudEvent) -> Any:
        """Sign and send one envelope; returns kafka-python's future (`.get(timeout)` waits for the ack)."""
        event = self.signing_key.sign(event)
        return self.producer.send(self.topic, key=event.subject.encode(), value=encode(event), headers=headers_of(event))

    def upsert(self, external_id: str, offer: OfferBody | dict[str, Any]) -> Any:
        return self.send(upserted(self.partner_id, external_id, offer))

    def delete(self, external_id: str) -> Any:
        return self.send(deleted(self.partner_id, external_id))

    def publish(self, lines: Iterable[ParsedLine], *, timeout: float = 60.0) -> PublishReport:
        """Send every valid line in order, skip and report invalid ones, wait for the acks."""
        report = PublishReport()
        pending: list[tuple[int, str, Any]] = []
        for line in lines:
            if not line.valid or line.external_id is None:
                report.invalid.append(line)
                continue
            event = deleted(self.partner_id, line.external_id) if line.delete else \
                upserted(self.partner_id, line.external_id, line.offer)  # type: ignore[arg-type]
            pending.append((line.line, event.id, self.send(event)))
        self.producer.flush(timeout)
        for number, event_id, future in pending:
            if future.succeeded():
                report.sent += 1
                report.sent_ids.append((number, event_id))
            else:
                report.failed.append((number, repr(future.exception) if future.is_done else "no answer in time"))
        return report

    def flush(self, timeout: float | None = None) -> None:
        self.producer.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        self.producer.close(timeout)

    def __enter__(self) -> "PartnerClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
