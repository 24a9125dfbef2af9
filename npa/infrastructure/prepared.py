"""Bulk writes without SQLAlchemy's per-row work: a statement compiled once per dialect, its
rows' values processed column by column in C loops, sent to the driver directly.

SQLAlchemy's own executemany processes each row's parameters in Python (about 12 µs a row
here, measured in ADR 12); the same bind processors (dates, JSON, booleans) applied in one
tight loop cost about a tenth of it. SQLite runs the statement with the driver's executemany.
On PostgreSQL, psycopg's executemany sends one statement per row, and SQLAlchemy's multi-row
VALUES makes psycopg parse a long statement text in Python (25 % of a replay, ADR 12): an
INSERT or an UPDATE by key goes as one short statement whose rows are one JSON parameter
instead, serialised in C (psycopg's array dumpers, tried first, spent ~1 µs a value in Python).

Used by the consumers' inbox, the outbox, the offers upsert (ADR 9) and the reports read
models (ADR 12).
"""

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import pydantic_core
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Dialect, Executable, LargeBinary, Table
from sqlalchemy.types import TypeEngine
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from npa.infrastructure.database import json_text

_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once, its rows' values processed in one tight loop."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    unnest: str | None = None  # on PostgreSQL: the statement reading its rows from one JSON array of arrays

    @classmethod
    def of(cls, statement: Executable, dialect: Dialect, columns: Sequence[str] | None = None) -> "Prepared":
        """`statement` compiled for `dialect`; an INSERT writes only `columns` if given (a
        column left out gets its default, e.g. an autoincrement id on PostgreSQL)."""
        compiled = statement.compile(dialect=dialect, column_keys=list(columns) if columns is not None else None)
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        types = [compiled.binds[name].type for name in names]
        sql = str(compiled)
        prepared = cls(sql, names, _processors(types, dialect), compiled.positional)
        if dialect.name == "postgresql":
            unnest = _unnest(sql, names, tuple(sql_cast(column_type, dialect) for column_type in types))
            if unnest is not None:
                return prepared.as_json_rows(unnest, types)
        return prepared

    @classmethod
    def update_by_key(cls, table: Table, key: str, columns: Sequence[str], dialect: Dialect) -> "Prepared":
        """`UPDATE table SET column = … WHERE key = …` for rows holding `key` and `columns`;
        on PostgreSQL one `UPDATE … FROM (the rows of one JSON parameter)`."""
        quote = dialect.identifier_preparer.quote
        names = (*columns, key)
        types = [table.c[name].type for name in names]
        if dialect.name == "postgresql":
            rows = json_rows([sql_cast(column_type, dialect) for column_type in types], [quote(n) for n in names])
            changes = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in columns)
            sql = (f"UPDATE {quote(table.name)} SET {changes} FROM ({rows}) AS v"
                   f" WHERE {quote(table.name)}.{quote(key)} = v.{quote(key)}")
            return cls(sql, names, _processors(types, dialect), False).as_json_rows(sql, types)
        changes = ", ".join(f"{quote(name)} = ?" for name in columns)
        sql = f"UPDATE {quote(table.name)} SET {changes} WHERE {quote(key)} = ?"
        return cls(sql, names, _processors(types, dialect), True)

    def as_json_rows(self, sql: str, types: Sequence[TypeEngine]) -> "Prepared":
        """Run as `sql`, which reads every row from one JSON parameter: a JSON column's value
        goes as its text, serialised as the engine serialises it; an aware time as it is (the
        server's `::timestamptz` reads its offset; converting it to UTC first cost ~0.5 µs);
        bytes as hex (`decode(…, 'hex')` in `json_rows`)."""
        processors = tuple(json_text if isinstance(column_type, JSON)
                           else aware_time if isinstance(column_type, UTCDateTime)
                           else _hex if isinstance(column_type, LargeBinary) else processor
                           for column_type, processor in zip(types, self.processors, strict=True))
        return dataclasses.replace(self, processors=processors, unnest=sql)

    def run(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        values = self._values(rows)
        if self.unnest is not None:
            session.connection().exec_driver_sql(self.unnest, (Jsonb(values, dumps=pydantic_core.to_json),))
        elif self.positional:
            session.connection().exec_driver_sql(self.sql, values)
        else:
            session.connection().exec_driver_sql(self.sql, [dict(zip(self.names, value, strict=True))
                                                            for value in values])

    def _values(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple]:
        """Each row's values in `names`' order through the bind processors, column by column
        (C loops: map, zip, itemgetter; a Python loop per value cost twice as much)."""
        values = list(map(itemgetter(*self.names), rows)) if len(self.names) > 1 else [
            (row[self.names[0]],) for row in rows]
        if not any(self.processors):
            return values
        columns = [list(map(processor, column)) if processor else column
                   for processor, column in zip(self.processors, zip(*values, strict=True), strict=True)]
        return list(zip(*columns, strict=True))


def _processors(types: Sequence[TypeEngine], dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(sqlite_time_text if dialect.name == "sqlite" and isinstance(column_type, UTCDateTime)
                 else column_type.dialect_impl(dialect).bind_processor(dialect) for column_type in types)


def sqlite_time_text(value: datetime | None) -> str | None:
    """UTCDateTime's and SQLite's DATETIME's bind processors in one, with the same text
    ('2026-03-14 09:30:15.000000', UTC): the two cost twice as much (8 % of a replay)."""
    if value is None:
        return None
    return aware_time(value).astimezone(UTC).isoformat(" ", "microseconds")[:26]  # type: ignore[union-attr]


def aware_time(value: datetime | None) -> datetime | None:
    """As UTCDateTime refuses a time without an offset (it would be read in the session's zone)."""
    if value is not None and value.utcoffset() is None:
        raise ValueError("a time needs its offset (timezone information)")
    return value


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def sql_cast(column_type: TypeEngine, dialect: Dialect) -> str:
    """The SQL type to cast a value to, without a length: an explicit cast to VARCHAR(n) would
    cut a longer text, where the column refuses it."""
    return re.sub(r"\(\d+\)", "", column_type.compile(dialect=dialect))


def json_rows(casts: Sequence[str], names: Sequence[str] | None = None) -> str:
    """The rows of one JSON parameter `[[v0, v1, …], …]` as a table, each value cast from its
    text (a JSON column's value arrives as its serialised text, a time with its offset, bytes
    as hex: a cast of text to BYTEA would read its backslashes as escapes)."""
    columns = ", ".join((f"decode(r->>{index}, 'hex')" if cast == "BYTEA" else f"(r->>{index})::{cast}")
                        + (f" AS {names[index]}" if names else "") for index, cast in enumerate(casts))
    return f"SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS r"


def _unnest(sql: str, names: tuple[str, ...], casts: tuple[str, ...]) -> str | None:
    """An INSERT's `VALUES (…)` replaced by a SELECT from one JSON parameter holding every row
    (a short statement, whatever the number of rows), if every parameter is in that row and
    in `names`' order; else None (run as executemany)."""
    head, found, rest = sql.partition(" VALUES (")
    if not found or not head.startswith("INSERT ") or " VALUES (" in rest:
        return None
    end, depth = -1, 1
    while depth and end + 1 < len(rest):
        end += 1
        depth += {"(": 1, ")": -1}.get(rest[end], 0)
    row_sql, tail = rest[:end], rest[end + 1:]
    if tuple(_NAMED.findall(row_sql)) != names or _NAMED.search(tail) or "%s" in sql:
        return None
    return f"{head} {json_rows(casts)}{tail}"
