"""Which database errors may pass by themselves (`is_transient`): raised by the real drivers,
raw from a cursor and wrapped by SQLAlchemy."""

import socket
import sqlite3

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from npa.infrastructure.database import is_transient, make_engine


def raised(action) -> BaseException:  # noqa: ANN001
    with pytest.raises(Exception) as caught:
        action()
    return caught.value


def test_a_server_that_does_not_answer_is_transient() -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    error = raised(lambda: psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/test", connect_timeout=2))
    assert isinstance(error, psycopg.OperationalError) and is_transient(error)
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test")
    try:
        wrapped = raised(lambda: engine.connect())
    finally:
        engine.dispose()
    assert isinstance(wrapped, OperationalError) and is_transient(wrapped)
    assert is_transient(ConnectionResetError("reset by peer"))


def test_a_locked_sqlite_database_is_transient(tmp_path) -> None:  # noqa: ANN001
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(tmp_path / "locked.db", timeout=0, isolation_level=None)
    error = raised(lambda: waiter.execute("INSERT INTO t VALUES (1)"))
    holder.close()
    waiter.close()
    assert "locked" in str(error) and is_transient(error)


def test_a_broken_constraint_or_a_bug_is_not(tmp_path) -> None:  # noqa: ANN001
    raw = sqlite3.connect(":memory:")
    raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    raw.execute("INSERT INTO t VALUES (1)")
    assert not is_transient(raised(lambda: raw.execute("INSERT INTO t VALUES (1)")))
    engine = make_engine(f"sqlite:///{tmp_path}/constraint.db")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))

        def again() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (1)"))

        wrapped = raised(again)
    finally:
        engine.dispose()
    assert isinstance(wrapped, IntegrityError) and not is_transient(wrapped)
    assert not is_transient(KeyError("delivery"))
    assert not is_transient(TypeError("unsupported operand"))
