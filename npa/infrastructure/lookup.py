"""Rows by key without SQLAlchemy's per-statement work: `SELECT … WHERE key IN (these)` written
once per dialect, its keys sent as one parameter, run on the driver's cursor.

Every consumer batch reads a few small sets of rows by key (the inbox's seen ids and versions,
a handler's existing rows). Through SQLAlchemy each such read cost ~190 µs here, most of it
expanding the IN list, compiling and wrapping the result; the same read on the driver's cursor
with the keys as one parameter cost ~20 µs (ADR 9, 2026-11-30 night). On the small batches of
steady traffic a batch does about six of them.

SQLite reads the keys from one JSON text (`IN (SELECT value FROM json_each(?))`), PostgreSQL
from one array (`unnest(%s)`, each key probed by a subquery of its own): one statement text
whatever the number of keys, no parameter limit, each key found through the index. The values
come back through the columns' own result processors (times, JSON), so a row reads as
SQLAlchemy would read it.

Reads only: writes go through SQLAlchemy's cursor events (the SQLite write lock,
npa/infrastructure/database.py) or `Prepared`.
"""

import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Table
from sqlmodel import Session


@dataclass(frozen=True)
class Rows:
    """Driver rows read as SQLAlchemy would read them: each value through its column's result
    processor (times, JSON), each row a named tuple of the columns (`row.title`)."""

    processors: tuple[Callable[[Any], Any] | None, ...]
    row: type

    @classmethod
    def of(cls, table: Table, columns: Sequence[str], dialect: Dialect) -> "Rows":
        processors = tuple(table.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
                           for name in columns)
        return cls(processors, namedtuple("Row", columns))  # type: ignore[misc]

    def read(self, found: Iterable[Sequence[Any]]) -> list[Any]:
        make = self.row._make
        if not any(self.processors):
            return list(map(make, found))
        return [make([processor(value) if processor else value
                      for processor, value in zip(self.processors, row, strict=True)]) for row in found]


@dataclass(frozen=True)
class Lookup:
    """`SELECT columns FROM table WHERE key IN (keys)`, and `column = value` for each column of
    `equal`, and each boolean column of `true` set, written for one dialect; `rows(session, keys,
    *values)` runs it in the session's transaction, `values` in the order of `equal`."""

    sql: str
    keys_as_json: bool
    shape: Rows

    @classmethod
    def of(cls, table: Table, columns: Sequence[str], key: str, dialect: Dialect, *,
           equal: Sequence[str] = (), true: Sequence[str] = (), for_update: bool = False) -> "Lookup":
        """`for_update`: PostgreSQL locks the rows found, in key order (so two transactions
        locking some of the same rows wait for each other instead of deadlocking); SQLite has no
        row locks: call `npa.infrastructure.database.lock_for_write` first."""
        quote = dialect.identifier_preparer.quote
        selected = ", ".join(quote(name) for name in columns)
        if dialect.name == "sqlite":
            conditions = [f"{quote(key)} IN (SELECT value FROM json_each(?))", *(f"{quote(name)} = ?" for name in equal),
                          *(f"{quote(name)} = 1" for name in true)]
            sql = f"SELECT {selected} FROM {quote(table.name)} WHERE {' AND '.join(conditions)}"
            return cls(sql, keys_as_json=True, shape=Rows.of(table, columns, dialect))
        # One index probe per key, whatever the statistics say: `key = ANY(keys)` left the choice to
        # the planner, which on a table younger than its statistics read every offer of a partner
        # (through its first index column) or the whole inbox for each batch (ADR 9, 2026-12-02).
        # The subquery is kept apart from the join (FOR UPDATE, or OFFSET 0), so it runs once per key
        # in the array's order: the rows are locked in the order `rows` sorts the keys.
        conditions = [f"{quote(key)} = wanted.key", *(f"{quote(name)} = %s" for name in equal),
                      *(quote(name) for name in true)]
        sql = (f"SELECT {', '.join(f'found.{quote(name)}' for name in columns)}"
               f" FROM unnest(%s::{table.c[key].type.compile(dialect)}[]) AS wanted(key)"
               f" CROSS JOIN LATERAL (SELECT {selected} FROM {quote(table.name)} WHERE {' AND '.join(conditions)}"
               f"{' FOR UPDATE' if for_update else ' OFFSET 0'}) AS found")
        return cls(sql, keys_as_json=False, shape=Rows.of(table, columns, dialect))

    def rows(self, session: Session, keys: Iterable[Any], *values: Any) -> list[Any]:
        """The rows whose key is among `keys` (no order), each a named tuple of `columns`."""
        keys = sorted(set(keys))  # each key once; locked in this order on PostgreSQL
        if not keys:
            return []
        return self.shape.read(read_on_driver(session, self.sql, (json.dumps(keys) if self.keys_as_json else keys,
                                                                  *values)))


def read_on_driver(session: Session, sql: str, parameters: Sequence[Any]) -> list[tuple]:
    """A read in the session's transaction on its DBAPI cursor: no SQLAlchemy statement work,
    and no cursor events (writes need them for SQLite's write turn: use `exec_driver_sql`)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return cursor.fetchall()
    finally:
        cursor.close()
