"""CloudEvents 1.0 envelope in structured JSON mode, as every topic carries it."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: str = Field("1.0", pattern=r"^1\.0$")
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: datetime
    subject: str = Field(min_length=1)
    datacontenttype: str = "application/json"
    data: dict[str, Any]

    @property
    def version(self) -> int | None:
        value = self.data.get("version")
        return value if isinstance(value, int) else None


class MalformedEvent(ValueError):
    """The bytes on the bus are not a valid CloudEvent: never retried, sent to the DLQ."""


def new_event(*, source: str, type: str, subject: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=type,
        time=datetime.now(UTC),
        subject=subject,
        data=data,
    )


def encode(event: CloudEvent) -> bytes:
    return event.model_dump_json().encode("utf-8")


def decode(raw: bytes) -> CloudEvent:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEvent(f"body is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise MalformedEvent("body is not a JSON object")
    try:
        return CloudEvent.model_validate(document)
    except ValidationError as error:
        raise MalformedEvent(describe_validation_error(error)) from error


def describe_validation_error(error: ValidationError, prefix: str = "") -> str:
    """One line naming each bad field, e.g. `data.offer.district: unknown district`."""
    parts = []
    for item in error.errors():
        location = prefix + (".".join(str(part) for part in item["loc"]) or "body")
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)
