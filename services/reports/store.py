"""Writing the read models in bulk, inside the consumer's transaction.

Entity rows (offer, example, actor, subscription facts): the rows a batch touches are read in
one query per 500 ids, folded in memory, and written once each, new ones with one multi-row
INSERT and the others with one executemany UPDATE.

Counted tables: the batch's summed changes are written with one upsert per table,
`INSERT … ON CONFLICT (key) DO UPDATE SET x = x + excluded.x` (SQLite ≥ 3.24 and PostgreSQL),
so no read is needed and two replicas counting into one row never lose an increment. Rows
are written in key order, so replicas lock shared rows in the same order (no deadlock).
"""

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import pydantic_core
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Dialect, Executable, Table, bindparam, case, insert, select, update
from sqlalchemy.types import TypeEngine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from npa.infrastructure.database import json_text
from services.reports import domain
from services.reports.models import (
    ActorContribution,
    CoverageCount,
    LanguageCount,
    MonthlyTrend,
    NewOfferCount,
    PublicationCount,
)

CHUNK = 500  # ids per IN (...) list


def table_of(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined]


@functools.cache
def _counters(model: type, keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(column.name for column in table_of(model).c if column.name not in keys)


COUNTED: dict[str, tuple[type, tuple[str, ...]]] = {
    domain.COVERAGE: (CoverageCount, ("area", "field")),
    domain.LANGUAGES: (LanguageCount, ("area", "field", "language")),
    domain.NEW_OFFERS: (NewOfferCount, ("area", "field", "day")),
    domain.CONTRIBUTIONS: (ActorContribution, ("actor_id",)),
    domain.PUBLICATIONS: (PublicationCount, ("kind", "year")),
    domain.TRENDS: (MonthlyTrend, ("kind", "month", "area", "field")),
}
"""Tally table → (model, key columns); every other column is a counter."""


_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once, its rows' values processed in one tight loop.

    SQLAlchemy's own executemany processes each row's parameters in Python (about 12 µs a row
    here, measured in ADR 12); the same bind processors (dates, JSON, booleans) applied in one
    tight loop cost about a tenth of it. The SQL is SQLAlchemy's, for the session's dialect.
    SQLite runs it with the driver's executemany. On PostgreSQL, psycopg's executemany sends
    one statement per row, and the server's per-statement work was most of a replay there
    (ADR 12): an INSERT goes as one statement whose rows are one JSON parameter instead,
    serialised in C; psycopg's array dumpers, tried first, spent ~1 µs a value in Python."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    unnest: str | None = None  # an INSERT on PostgreSQL: its rows as one JSON array of arrays

    @classmethod
    def of(cls, statement: Executable, dialect: Dialect) -> "Prepared":
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        processors = tuple(sqlite_time_text if dialect.name == "sqlite" and isinstance(column_type, UTCDateTime)
                           else column_type.dialect_impl(dialect).bind_processor(dialect)
                           for column_type in (compiled.binds[name].type for name in names))
        sql = str(compiled)
        prepared = cls(sql, names, processors, compiled.positional)
        if dialect.name == "postgresql":
            types = [compiled.binds[name].type for name in names]
            unnest = _unnest(sql, names, tuple(_cast(column_type, dialect) for column_type in types))
            if unnest is not None:
                return prepared.as_json_rows(unnest, types)
        return prepared

    def as_json_rows(self, sql: str, types: Sequence[TypeEngine]) -> "Prepared":
        """Run as `sql`, which reads every row from one JSON parameter: a JSON column's value
        goes as its text, serialised as the engine serialises it; an aware time as it is (the
        server's `::timestamptz` reads its offset; converting it to UTC first cost ~0.5 µs)."""
        processors = tuple(json_text if isinstance(column_type, JSON)
                           else _aware if isinstance(column_type, UTCDateTime) else processor
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


def sqlite_time_text(value: datetime | None) -> str | None:
    """UTCDateTime's and SQLite's DATETIME's bind processors in one, with the same text
    ('2026-03-14 09:30:15.000000', UTC): the two cost twice as much (8 % of a replay)."""
    if value is None:
        return None
    return _aware(value).astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _aware(value: datetime | None) -> datetime | None:
    """As UTCDateTime refuses a time without an offset (it would be read in the session's zone)."""
    if value is not None and value.utcoffset() is None:
        raise ValueError("a time needs its offset (timezone information)")
    return value


def _cast(column_type: TypeEngine, dialect: Dialect) -> str:
    """The SQL type to cast a value to, without a length: an explicit cast to VARCHAR(n) would
    cut a longer text, where the column refuses it."""
    return re.sub(r"\(\d+\)", "", column_type.compile(dialect=dialect))


def _json_rows(casts: Sequence[str], names: Sequence[str] | None = None) -> str:
    """The rows of one JSON parameter `[[v0, v1, …], …]` as a table, each value cast from its
    text (a JSON column's value arrives as its serialised text, a time with its offset)."""
    columns = ", ".join(f"(r->>{index})::{cast}" + (f" AS {names[index]}" if names else "")
                        for index, cast in enumerate(casts))
    return f"SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS r"


def _unnest(sql: str, names: tuple[str, ...], casts: tuple[str, ...]) -> str | None:
    """An INSERT's `VALUES (…)` replaced by a SELECT from one JSON parameter holding every row
    (a short statement, whatever the number of rows: psycopg parses a statement's text in
    Python, 25 % of the replay with multi-row VALUES), if every parameter is in that row and
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
    return f"{head} {_json_rows(casts)}{tail}"


def _dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


@functools.cache
def _select_by_ids(model: type) -> Executable:
    table = table_of(model)
    return select(table).where(table.c.id.in_(bindparam("ids", expanding=True)))


def read_rows(session: Session, model: type, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of these ids (by the primary key `id`), as plain dicts.

    One statement per model, built once, run on the connection (Core): building it per batch
    and running it through the ORM session cost a third of a one-offer batch's handler
    (steady traffic, ADR 12, 2026-11-30 evening)."""
    found: dict[str, dict[str, Any]] = {}
    if not ids:
        return found
    unique, statement, connection = sorted(set(ids)), _select_by_ids(model), session.connection()
    for start in range(0, len(unique), CHUNK):
        found.update({row["id"]: dict(row) for row in
                      connection.execute(statement, {"ids": unique[start:start + CHUNK]}).mappings()})
    return found


def write_rows(session: Session, model: type, rows: Mapping[str, dict[str, Any]], stored: set[str]) -> None:
    """Each row once: one INSERT for new ids, one UPDATE (executemany on SQLite) for stored ones."""
    inserts = [rows[key] for key in sorted(rows) if key not in stored]
    updates = [{f"v_{name}": value for name, value in rows[key].items()} for key in sorted(rows) if key in stored]
    insert_rows(session, model, inserts)
    if updates:
        _update(_dialect(session), model).run(session, updates)


@functools.cache
def _insert(dialect: Dialect, model: type) -> Prepared:
    return Prepared.of(insert(table_of(model)), dialect)


@functools.cache
def _update(dialect: Dialect, model: type) -> Prepared:
    table = table_of(model)
    statement = (update(table).where(table.c.id == bindparam("v_id", type_=table.c.id.type))
                 .values({column.name: bindparam(f"v_{column.name}", type_=column.type)
                          for column in table.c if column.name != "id"}))
    prepared = Prepared.of(statement, dialect)
    if dialect.name != "postgresql":
        return prepared
    # `UPDATE … FROM (rows of one JSON parameter)`: one statement for all rows, as the INSERTs (see Prepared)
    quote = dialect.identifier_preparer.quote
    types = [table.c[name.removeprefix("v_")].type for name in prepared.names]
    names = [quote(name.removeprefix("v_")) for name in prepared.names]
    rows = _json_rows([_cast(column_type, dialect) for column_type in types], names)
    changes = ", ".join(f"{name} = v.{name}" for name in names if name != "id")
    sql = f"UPDATE {quote(table.name)} SET {changes} FROM ({rows}) AS v WHERE {quote(table.name)}.id = v.id"
    return prepared.as_json_rows(sql, types)


def _dialect_insert(dialect: Dialect, table: Table):  # noqa: ANN202
    return (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)


@functools.cache
def _insert_ignoring(dialect: Dialect, model: type) -> Prepared:
    return Prepared.of(_dialect_insert(dialect, table_of(model)).on_conflict_do_nothing(), dialect)


@functools.cache
def _upsert(dialect: Dialect, model: type, keys: tuple[str, ...], counters: tuple[str, ...],
            newest: str | None) -> Prepared:
    table = table_of(model)
    statement = _dialect_insert(dialect, table)
    changes = {name: table.c[name] + statement.excluded[name] for name in counters}
    if newest is not None:
        changes[newest] = case((table.c[newest] < statement.excluded[newest], statement.excluded[newest]),
                               else_=table.c[newest])
    return Prepared.of(statement.on_conflict_do_update(index_elements=list(keys), set_=changes), dialect)


def insert_new(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERT that skips rows whose key is already stored (a replayed event id)."""
    if rows:
        _insert_ignoring(_dialect(session), model).run(session, rows)


def insert_rows(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERT; a key already stored fails the transaction."""
    if rows:
        _insert(_dialect(session), model).run(session, rows)


def keep_highest(session: Session, model: type, keys: tuple[str, ...], rows: list[dict[str, Any]],
                 column: str) -> None:
    """Inserts each row, or raises its stored row's `column` to the row's value if that is higher."""
    if rows:
        _upsert(_dialect(session), model, keys, (), column).run(session, rows)


def add_counts(session: Session, model: type, keys: tuple[str, ...], rows: list[dict[str, Any]],
               newest: str | None = None) -> None:
    """Adds each row's counters to the stored row of its key (a missing row starts at 0); the
    `newest` column keeps the larger of the stored and the given value."""
    if not rows:
        return
    counters = tuple(name for name in rows[0] if name not in keys and name != newest)
    _upsert(_dialect(session), model, keys, counters, newest).run(session, rows)


def write_tally(session: Session, tally: domain.Tally) -> None:
    """One upsert per counted table the batch changed."""
    for name, (model, keys) in COUNTED.items():
        if tally.changes.get(name):
            add_counts(session, model, keys, tally.rows(name, keys, _counters(model, keys)))
