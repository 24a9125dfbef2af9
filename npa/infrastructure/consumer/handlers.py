"""What a service tells the consumer: a table of event type → batch handler.

Every service's `handlers.py` holds one `HANDLERS` dict, one line per event type, so a grep
for a type finds its consumer; the topics a service subscribes to are derived from it.

A batch handler applies, inside the consumer's transaction, a list of events of the types
it is registered for, in the order they were on their partition. The consumer has already
dropped repeated event ids and stale versions, and commits after the handler returns. It
raises `RejectedEvent` for an event that can never be applied (naming the event, so the rest
of the batch is applied without it); any other exception counts as transient and is retried.

A handler may ask for dependencies by keyword (for example `base_url`); the runtime binds
them from what the service's wiring provides, as a bootstrap would.
"""

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from npa.contracts import catalogue
from npa.contracts.envelope import CloudEvent, describe_validation_error

BatchHandler = Callable[..., None]
"""`handler(session, events, **dependencies)`; applies `events` inside the caller's transaction."""

HandlerTable = Mapping[str, BatchHandler]
BoundHandler = Callable[[Session, list[CloudEvent]], None]

Model = TypeVar("Model", bound=BaseModel)


class RejectedEvent(ValueError):
    """The event is well-formed but cannot be applied (e.g. unknown partner): never retried.

    `event_id` names the culprit within a batch; without it the consumer finds it by bisecting.
    """

    def __init__(self, reason: str, event: CloudEvent | None = None) -> None:
        super().__init__(reason)
        self.event_id = event.id if event is not None else None


def each_valid(events: Sequence[CloudEvent], model: type[Model]) -> Iterator[tuple[CloudEvent, Model]]:
    """Each event with its `data` validated against `model`; a bad one rejects that event."""
    for event in events:
        try:
            yield event, model.model_validate(event.data)
        except ValidationError as error:
            raise RejectedEvent(describe_validation_error(error, prefix="data."), event) from error


def topics_of(table: HandlerTable) -> list[str]:
    """The topics carrying the table's event types, in the catalogue's order."""
    wanted = set(table)
    unknown = wanted - {event_type for _model, types in catalogue.EVENTS.values() for event_type in types}
    if unknown:
        raise ValueError(f"handler table names event types no topic carries: {sorted(unknown)}")
    return [topic for topic, (_model, types) in catalogue.EVENTS.items() if wanted & set(types)]


def bind(table: HandlerTable, dependencies: Mapping[str, Any] | None = None) -> dict[str, BoundHandler]:
    """The table with each handler's keyword dependencies filled in; one bound callable per
    handler function, so consecutive events of one handler form one run."""
    dependencies = dependencies or {}
    bound: dict[BatchHandler, BoundHandler] = {}
    for handler in table.values():
        if handler in bound:
            continue
        wanted = list(inspect.signature(handler).parameters)[2:]
        missing = [name for name in wanted if name not in dependencies]
        if missing:
            raise TypeError(f"{handler.__qualname__} needs {missing}; the service's wiring does not provide them")
        bound[handler] = functools.partial(handler, **{name: dependencies[name] for name in wanted})
    return {event_type: bound[handler] for event_type, handler in table.items()}


def source_file(handler: BatchHandler) -> str:
    """Where a handler is written (for the routes-and-events catalogue)."""
    return inspect.getsourcefile(inspect.unwrap(handler)) or "?"
