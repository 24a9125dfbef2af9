"""Writing the read models in bulk, inside the consumer's transaction.

Entity rows (offer, example, actor, subscription facts): the rows a batch touches are read in
one query per 500 ids, folded in memory, and written once each, new ones with one multi-row
INSERT and the others with one executemany UPDATE.

Counted tables: the batch's summed changes are written with one upsert per table,
`INSERT … ON CONFLICT (key) DO UPDATE SET x = x + excluded.x` (SQLite ≥ 3.24 and PostgreSQL),
so no read is needed and two replicas counting into one row never lose an increment. Rows
are written in key order, so replicas lock shared rows in the same order (no deadlock).
"""

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, case, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from npa.infrastructure.lookup import Lookup
from npa.infrastructure.prepared import Prepared, json_rows, sql_cast
from services.reports import domain
from services.reports.models import (
    ActorContribution,
    CoverageCount,
    LanguageCount,
    MonthlyTrend,
    NewOfferCount,
    PublicationCount,
)

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


def _dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


@functools.cache
def _by_ids(dialect: Dialect, model: type) -> Lookup:
    table = table_of(model)
    return Lookup.of(table, tuple(table.c.keys()), "id", dialect)


def read_rows(session: Session, model: type, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of these ids (by the primary key `id`), as plain dicts.

    One statement per model and dialect, built once, run on the driver's cursor with the ids as
    one parameter (npa/infrastructure/lookup.py): building it per batch and running it through
    the ORM session cost a third of a one-offer batch's handler (steady traffic, ADR 12)."""
    if not ids:
        return {}
    return {row.id: row._asdict() for row in _by_ids(_dialect(session), model).rows(session, ids)}


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
    rows = json_rows([sql_cast(column_type, dialect) for column_type in types], names)
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
