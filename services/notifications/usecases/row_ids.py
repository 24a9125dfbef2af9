"""Ids for the rows a fan-out makes by the database, one INSERT … SELECT for thousands (ADR 10).

An id is a UUID of version 7 (RFC 9562) as text: 48 bits of the time in milliseconds, then 42
random bits drawn once per statement, then the row's number within the statement in the last
32 bits. A fan-out's ids therefore rise row after row and land one after the other at the right
edge of the primary-key index, the cheapest insert a B-tree has; with a random UUID per row
they fell at random places within the statement's range, and making it cost the database about
1 µs a row. Two statements get the same ids only if they start in the same millisecond and draw
the same 42 bits.
"""

import secrets
import time
from typing import Any

from sqlalchemy import String, literal, literal_column

_ROW_NUMBER = {  # the row's number in the statement as 8 hex digits (4 billion rows a statement)
    "postgresql": "lpad(to_hex(row_number() OVER ({order})), 8, '0')",
    "sqlite": "printf('%08x', row_number() OVER ({order}))",
}


def statement_prefix() -> str:
    """The first 28 of the 36 characters of every id one statement makes."""
    millis = f"{time.time_ns() // 1_000_000:012x}"
    random = secrets.token_hex(6)
    variant = "89ab"[int(random[3], 16) % 4]
    return f"{millis[:8]}-{millis[8:]}-7{random[:3]}-{variant}{random[4:7]}-{random[7:11]}"


def row_id_sql(dialect: str, order_by: str = "") -> str:
    """The id column of an INSERT … SELECT in SQL text, with the prefix bound as `:id_prefix`;
    `order_by` numbers the rows in the order they are inserted in."""
    return ":id_prefix || " + _ROW_NUMBER[dialect].format(order=f"ORDER BY {order_by}" if order_by else "")


def row_id(dialect: str) -> Any:
    """The same as a SQLAlchemy expression, for statements built per event; one per statement."""
    return literal(statement_prefix()) + literal_column(_ROW_NUMBER[dialect].format(order=""), String)
