"""The inbox of a replay into a fresh database, decided in memory (`npa-reports rebuild`).

The live inbox looks every id and every entity version of a batch up in the database (8 % of
a replay's CPU on SQLite, 16 % on PostgreSQL, ADR 12). A replay into a fresh database knows
more: nothing is stored but what it claimed itself. So it remembers, per event id (one bit of
a fixed bitmap, by the id's hash) and per entity (its highest version), what it has admitted,
and that memory is an upper bound of the database:
- an id whose bit is clear was never admitted, so it is in no inbox row: certainly new;
- a version above the entity's remembered one is above the stored one: certainly fresh;
- only the rest (redelivered copies, a retried batch's own events, the bitmap's rare
  collisions) is looked up in the database, and then sorted exactly as the live inbox does
  (`npa.infrastructure.inbox.sort`): duplicates, stale versions, the batch's own repeats.
A claim is made when a batch is admitted, before its transaction commits: a batch that fails
and is retried finds its ids claimed, looks them up, and finds them absent. Two partitions'
batches admitting the same id at once both insert it; the inbox's primary key fails one
transaction, and its retry sees the repeat — as with two live replicas.

It writes the same rows as the live inbox (event ids, entity versions), so the live consumer
finds them after the cut-over, through the reports' bulk writes (services/reports/store.py).
Memory is bounded: the bitmap is fixed (16 MiB: at a million events one id in 130 is looked
up needlessly), and after `max_entities` entities new ones are looked up as before.
"""

import threading
from collections.abc import Sequence

from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.infrastructure import inbox
from npa.infrastructure.inbox import Admitted, EntityVersion, InboxEvent, entity_key
from services.reports import store

ID_BITS = 1 << 27  # 16 MiB
MAX_ENTITIES = 1_000_000  # ~150 MB of remembered versions at most


class ReplayInbox:
    def __init__(self, id_bits: int = ID_BITS, max_entities: int = MAX_ENTITIES) -> None:
        if id_bits & (id_bits - 1) or id_bits < 8:
            raise ValueError("id_bits must be a power of two ≥ 8")
        self._claimed_ids = bytearray(id_bits // 8)
        self._mask = id_bits - 1
        self._claimed_versions: dict[str, int] = {}
        self._max_entities = max_entities
        self._claiming = threading.Lock()  # two partitions' batches are admitted in two threads

    def admit(self, session: Session, topic: str, events: Sequence[CloudEvent]) -> Admitted:
        doubtful_ids = [event.id for event in events if self._maybe_claimed(event.id)]
        doubtful_keys = sorted({key for event in events if event.version is not None
                                and self._maybe_stored(key := entity_key(topic, event), event.version)})
        admitted = inbox.sort(topic, events, inbox.seen_ids(session, doubtful_ids),
                              inbox.stored_versions(session, doubtful_keys))
        self._claim(admitted)
        return admitted

    def record(self, session: Session, admitted: Admitted) -> None:
        """The inbox rows as the live inbox writes them; versions by one upsert keeping the
        higher (whether a claimed entity's row was committed is not known here)."""
        store.insert_rows(session, InboxEvent, admitted.inbox_rows)
        versions = admitted.new_versions + [{"entity": row["key"], "version": row["new_version"]}
                                            for row in admitted.raised_versions]
        store.keep_highest(session, EntityVersion, ("entity",), sorted(versions, key=lambda row: row["entity"]),
                           "version")

    def _maybe_claimed(self, event_id: str) -> bool:
        bit = hash(event_id) & self._mask
        return bool(self._claimed_ids[bit >> 3] & (1 << (bit & 7)))

    def _maybe_stored(self, key: str, version: int) -> bool:
        claimed = self._claimed_versions.get(key)
        if claimed is None:
            return len(self._claimed_versions) >= self._max_entities  # full: not remembered, so not known
        return version <= claimed

    def _claim(self, admitted: Admitted) -> None:
        claimed_ids, mask, versions = self._claimed_ids, self._mask, self._claimed_versions
        with self._claiming:
            for row in admitted.inbox_rows:
                bit = hash(row["event_id"]) & mask
                claimed_ids[bit >> 3] |= 1 << (bit & 7)
            for key, version in [(row["entity"], row["version"]) for row in admitted.new_versions] + [
                    (row["key"], row["new_version"]) for row in admitted.raised_versions]:
                if key in versions:
                    versions[key] = max(versions[key], version)
                elif len(versions) < self._max_entities:
                    versions[key] = version
