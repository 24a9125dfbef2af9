"""A service's use cases on their own unit of work, for tests that call them without HTTP."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session, SQLModel, func, select

from npa.infrastructure import audit
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.outbox import OutboxMessage
from npa.infrastructure.unit_of_work import EngineUnitOfWork

SERVICES = Path(__file__).resolve().parents[2] / "services"


@contextmanager
def migrated(database_url: str, service: str, *rows: SQLModel) -> Iterator[EngineUnitOfWork]:
    """The service's database migrated, holding `rows`."""
    run_migrations(SERVICES / service / "migrations", database_url)
    engine = make_engine(database_url)
    try:
        if rows:
            with Session(engine) as session:
                session.add_all(rows)
                session.commit()
        yield EngineUnitOfWork(engine)
    finally:
        engine.dispose()


def count(uow: EngineUnitOfWork, model: type) -> int:
    with Session(uow.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def audit_and_staged(uow: EngineUnitOfWork) -> tuple[list[str], int]:
    """The audit trail's actions, oldest first, and how many events are staged."""
    with Session(uow.engine) as session:
        actions = [entry.action for entry in reversed(audit.recent(session))]
    return actions, count(uow, OutboxMessage)
