"""Engine, sessions and migrations for a service's own database (SQLite or PostgreSQL)."""

import re
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
import os
from pathlib import Path

import pydantic_core
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def json_text(value: object) -> str:
    """JSON columns are written by pydantic's serializer: 6x json.dumps for an offer body."""
    return pydantic_core.to_json(value).decode()


def private_files(database: Path) -> None:
    """The database file only its owner reads (0600): created so before SQLite opens it (SQLite
    gives its -wal and -shm files the database file's mode), and tightened if it exists."""
    descriptor = os.open(database, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(descriptor)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")):
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


def make_engine(url: str) -> Engine:
    """hide_parameters: SQL errors in logs must never quote values such as e-mail addresses."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True,
                               json_serializer=json_text)

        @event.listens_for(engine, "connect")
        def _custom_plans(dbapi_connection, _record) -> None:  # noqa: ANN001
            # psycopg prepares a statement after five runs, and PostgreSQL may then keep a generic
            # plan: for `id IN ($1 … $500)` with a batch's ids that was a sequential scan of the
            # inbox, 320 ms per chunk at 70,000 rows (ADR 12). Plan every run for its values.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET plan_cache_mode = force_custom_plan")
            dbapi_connection.commit()

        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        private_files(Path(parsed.database))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
                           hide_parameters=True, json_serializer=json_text)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
        # WAL lets HTTP threads read while the consumer and the outbox relay write.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free space (erasure, ADR 15).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    _serialise_writers(engine)
    return engine


SQLITE_BUSY_SECONDS = 30
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|BEGIN\s+IMMEDIATE)\b", re.IGNORECASE)
_HOLDS_WRITE_LOCK = "npa_holds_write_lock"


def _serialise_writers(engine: Engine) -> None:
    """One writing transaction at a time per process, queued in Python.

    SQLite allows one writer; a second one waits in SQLite's busy handler, which sleeps in steps
    of up to 100 ms — measured here as p99 publish latencies of seconds while the consumer, the
    outbox relay and the mail sender write side by side. A transaction takes this turn before its
    first INSERT/UPDATE/DELETE and gives it back at commit or rollback, so writers take turns
    without sleeping; readers are not held up (WAL). The turn belongs to a connection, not a
    thread; one waited for longer than SQLite's own busy timeout is taken anyway, leaving the
    wait to SQLite as before.
    """
    turn = threading.Condition()
    holder: list[object] = []  # the connection record whose transaction writes, if any
    waiting: deque[object] = deque()  # first come, first served: a busy consumer cannot starve the sender

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(connection, _cursor, statement, _parameters, _context, _executemany):  # noqa: ANN001
        info = connection.info
        if info.get(_HOLDS_WRITE_LOCK) or not _WRITE.match(statement):
            return
        ticket = object()
        with turn:
            waiting.append(ticket)
            if not turn.wait_for(lambda: not holder and waiting[0] is ticket, timeout=SQLITE_BUSY_SECONDS):
                waiting.remove(ticket)
                turn.notify_all()
                return  # a writer that never ends its transaction: SQLite's busy handler decides
            waiting.popleft()
            holder.append(info)
            info[_HOLDS_WRITE_LOCK] = True

    def _release(info: dict) -> None:
        if info.pop(_HOLDS_WRITE_LOCK, False):
            with turn:
                holder.clear()
                turn.notify_all()

    event.listen(engine, "commit", lambda connection: _release(connection.info))
    event.listen(engine, "rollback", lambda connection: _release(connection.info))
    # A connection returned to the pool without either (an error, a closed session) is reset.
    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection, connection_record, _reset_state) -> None:  # noqa: ANN001
        _release(connection_record.info)


def lock_for_write(session: Session) -> None:
    """Call before the reads that a write of the same transaction depends on (load, decide,
    write): no other writer may commit in between, or its change is overwritten (a lost update,
    and two events claiming the same version).

    PostgreSQL: the reads lock their rows themselves (`with_for_update`, `Lookup(for_update=True)`);
    nothing to do here. SQLite: those row locks do not exist, and pysqlite starts a transaction
    only at the first write, so the reads would see whatever another thread committed since. So
    the transaction takes its write turn and SQLite's write lock now (`BEGIN IMMEDIATE`, which
    `_serialise_writers` queues like any write); one that already writes holds both (ADR 26)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction the caller commits; rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


def alembic_config(migrations_dir: Path, url: str) -> Config:
    """Alembic's configuration for one service's migrations and database, as start-up, tests and
    scripts/make_migration.py use it. The URL's `%` is doubled: Alembic's options interpolate
    `%`, so a password holding one would otherwise break or change the URL."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def run_migrations(migrations_dir: Path, url: str) -> None:
    command.upgrade(alembic_config(migrations_dir, url), "head")


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


_PASSING_ERRORS = {"OperationalError", "InterfaceError"}  # PEP 249's names, in every driver and in SQLAlchemy


def is_transient(error: BaseException) -> bool:
    """Whether a database error may pass by itself: the server restarting or away, a lost
    connection, a lock or a deadlock (PEP 249's OperationalError and InterfaceError, raw from a
    driver's cursor or wrapped by SQLAlchemy). Anything else (a constraint, a type, a bug in
    the statement) fails the same way when tried again. PEP 249's classes are coarse: a missing
    table is an OperationalError too, and counts as transient here."""
    if isinstance(error, OSError) or getattr(error, "connection_invalidated", False):
        return True
    return any(cls.__name__ in _PASSING_ERRORS for cls in type(error).__mro__)
