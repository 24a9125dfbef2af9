"""Consuming events in batches: a handler table per service, one transaction per partition's
batch, offsets committed after it, bad messages parked on `<topic>.dlq` (ADR 0002, ADR 0009)."""

from npa.infrastructure.consumer.handlers import (
    BatchHandler,
    BoundHandler,
    HandlerTable,
    RejectedEvent,
    bind,
    each_valid,
    source_file,
    topics_of,
)
from npa.infrastructure.consumer.loop import FetchSettings, PartitionedConsumer
from npa.infrastructure.consumer.processor import BatchProcessor, RawRecord, RetryPolicy

__all__ = [
    "BatchHandler", "BatchProcessor", "BoundHandler", "FetchSettings", "HandlerTable", "PartitionedConsumer",
    "RawRecord", "RejectedEvent", "RetryPolicy", "bind", "each_valid", "source_file", "topics_of",
]
