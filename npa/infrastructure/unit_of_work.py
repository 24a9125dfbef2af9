"""The transaction a use case owns (ADR 25).

A use case that an HTTP route, a page, an editor view or a command-line tool calls opens its
transaction through a `UnitOfWork`, commits inside it, and returns plain values or detached
rows: the caller never holds a session, so a route cannot add a write beside the use case's or
commit half of it, and every write path has one place to read. Bus handlers are the exception,
by design: they run inside the consumer's batch transaction (ADR 9) and take its session.

`ServiceRuntime` is the unit of work of a running service (its `transaction()` wakes the outbox
relay after a commit that may have staged events); `EngineUnitOfWork` is one on an engine alone,
for command-line tools and tests.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure.database import session_scope


class UnitOfWork(Protocol):
    def transaction(self) -> AbstractContextManager[Session]:
        """A writing transaction: the use case commits inside the block (an error rolls it back)."""
        ...

    def reading(self) -> AbstractContextManager[Session]:
        """A session for reads only; whatever it returns is detached when the block ends."""
        ...


class EngineUnitOfWork:
    def __init__(self, engine: Engine, after_transaction: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self._after_transaction = after_transaction

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session
        if self._after_transaction is not None:
            self._after_transaction()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
