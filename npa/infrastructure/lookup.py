"""Rows by key without SQLAlchemy's per-statement work: `SELECT … WHERE key IN (these)` written
once per dialect, its keys sent as one parameter, run on the driver's cursor.

Every consumer batch reads a few small sets of rows by key (the inbox's seen ids and versions,
a handler's existing rows). Through SQLAlchemy each such read cost ~190 µs here, most of it
expanding the IN list, compiling and wrapping the result; the same read on the driver's cursor
with the keys as one parameter cost ~20 µs (ADR 9, 2026-11-30 night). On the small batches of
steady traffic a batch does about six of them.

SQLite reads the keys from one JSON text (`IN (SELECT value FROM json_each(?))`), PostgreSQL
from one array (`= ANY(%s)`): one statement text whatever the number of keys, no parameter
limit, each key found through the index. The values come back through the columns' own result
processors (times, JSON), so a row reads as SQLAlchemy would read it.

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
        sqlite = dialect.name == "sqlite"
        marker = "?" if sqlite else "%s"
        keys = f"{quote(key)} IN (SELECT value FROM json_each(?))" if sqlite else f"{quote(key)} = ANY(%s)"
        conditions = [keys, *(f"{quote(name)} = {marker}" for name in equal),
                      *(f"{quote(name)} = 1" if sqlite else quote(name) for name in true)]
        sql = (f"SELECT {', '.join(quote(name) for name in columns)} FROM {quote(table.name)}"
               f" WHERE {' AND '.join(conditions)}")
        if for_update and not sqlite:
            sql += f" ORDER BY {quote(key)} FOR UPDATE"
        return cls(sql, keys_as_json=sqlite, shape=Rows.of(table, columns, dialect))

    def rows(self, session: Session, keys: Iterable[Any], *values: Any) -> list[Any]:
        """The rows whose key is among `keys` (no order), each a named tuple of `columns`."""
        keys = list(keys)
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
