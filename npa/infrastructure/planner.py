"""Steering SQLite's query planner where it has no statistics to go by.

SQLite plans without row counts unless ANALYZE has run, and none of the services runs it: an
equality on the first column of any index looks as good as on any other. Where one of two
indexes would read a handful of rows and the other tens of thousands, the statement says which
one must not be used, with SQLite's documented unary `+` ("disqualify a term from use by an
index"). PostgreSQL, which plans by its statistics, gets the column unchanged.
"""

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class unindexed(FunctionElement):  # noqa: N801 - used like a SQL function in a query
    """The column, compared as it is, but never SQLite's way into the table."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _as_it_is(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _no_index_on_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)
