"""PostgreSQL plans as the tests read them: `EXPLAIN (ANALYZE, FORMAT JSON)` of a statement, and
every node of its tree."""

import json
from typing import Any


def explain_analyze(cursor: Any, sql: str, parameters: Any = None) -> dict:
    """The top node of the statement's executed plan (run it in a transaction to roll back if it writes)."""
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters)
    document = cursor.fetchone()[0]
    return (document if isinstance(document, list) else json.loads(document))[0]["Plan"]


def plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in plan_nodes(child))]
