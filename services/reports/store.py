"""Writing the read models in bulk, inside the consumer's transaction.

Entity rows (offer, example, actor, subscription facts): the rows a batch touches are read in
one query per 500 ids, folded in memory, and written once each, new ones with one multi-row
INSERT and the others with one executemany UPDATE.

Counted tables: the batch's summed changes are written with one upsert per table,
`INSERT … ON CONFLICT (key) DO UPDATE SET x = x + excluded.x` (SQLite ≥ 3.24 and PostgreSQL),
so no read is needed and two replicas counting into one row never lose an increment. Rows
are written in key order, so replicas lock shared rows in the same order (no deadlock).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

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


def read_rows(session: Session, model: type, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of these ids (by the primary key `id`), as plain dicts."""
    table = table_of(model)
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        statement = select(table).where(table.c.id.in_(unique[start:start + CHUNK]))
        found.update({row["id"]: dict(row) for row in session.execute(statement).mappings()})
    return found


def write_rows(session: Session, model: type, rows: Mapping[str, dict[str, Any]], stored: set[str]) -> None:
    """Each row once: one multi-row INSERT for new ids, one executemany UPDATE for stored ones."""
    table = table_of(model)
    inserts = [rows[key] for key in sorted(rows) if key not in stored]
    updates = [{f"v_{name}": value for name, value in rows[key].items()} for key in sorted(rows) if key in stored]
    if inserts:
        session.execute(insert(table), inserts)
    if updates:
        columns = [column.name for column in table.c if column.name != "id"]
        statement = (update(table).where(table.c.id == bindparam("v_id"))
                     .values({name: bindparam(f"v_{name}") for name in columns}))
        session.connection().execute(statement, updates)


def _dialect_insert(session: Session, table: Table):  # noqa: ANN202
    construct = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return construct(table)


def insert_new(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERT that skips rows whose key is already stored (a replayed event id)."""
    if rows:
        session.execute(_dialect_insert(session, table_of(model)).on_conflict_do_nothing(), rows)


def add_counts(session: Session, model: type, keys: tuple[str, ...], rows: list[dict[str, Any]],
               newest: str | None = None) -> None:
    """Adds each row's counters to the stored row of its key (a missing row starts at 0); the
    `newest` column keeps the larger of the stored and the given value."""
    if not rows:
        return
    table = table_of(model)
    statement = _dialect_insert(session, table)
    changes = {name: table.c[name] + statement.excluded[name] for name in rows[0] if name not in keys and name != newest}
    if newest is not None:
        changes[newest] = case((table.c[newest] < statement.excluded[newest], statement.excluded[newest]),
                               else_=table.c[newest])
    session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes), rows)


def write_tally(session: Session, tally: domain.Tally) -> None:
    """One upsert per counted table the batch changed."""
    for name, (model, keys) in COUNTED.items():
        add_counts(session, model, keys, tally.rows(name, keys, _counters(model, keys)))
