"""The reports' bulk writes on SQLite turn a time into text in one step (npa/infrastructure/prepared.py);
it must be the very text SQLAlchemy's two bind processors (UTCDateTime, then SQLite's DATETIME)
write, since reports compare and order these columns as text."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter
from sqlalchemy.dialects import sqlite
from sqlmodel.sql.sqltypes import UTCDateTime

from npa.infrastructure import prepared

DIALECT = sqlite.dialect()
SQLALCHEMY = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
DECODED = TypeAdapter(datetime)  # event times carry pydantic's own UTC zone


@pytest.mark.parametrize("instant", [
    datetime(2026, 3, 14, 9, 30, 15, tzinfo=UTC),
    datetime(2026, 3, 14, 9, 30, 15, 7, tzinfo=UTC),
    datetime(999, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 1, 1, 0, 30, 59, 999999, tzinfo=timezone(timedelta(hours=1))),
    datetime(2025, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    DECODED.validate_python("2026-10-25T01:59:59.5Z"),
    None,
])
def test_a_time_becomes_the_text_sqlalchemy_writes(instant: datetime | None) -> None:
    assert prepared.sqlite_time_text(instant) == SQLALCHEMY(instant)


def test_a_time_without_its_offset_is_refused_as_sqlalchemy_refuses_it() -> None:
    naive = datetime(2026, 3, 14, 9, 30)
    with pytest.raises(ValueError):
        SQLALCHEMY(naive)
    with pytest.raises(ValueError, match="timezone information"):
        prepared.sqlite_time_text(naive)
