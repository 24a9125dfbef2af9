"""4xx answers in FastAPI's validation shape, so clients always find the field in `detail[].loc`."""

from typing import Literal

from fastapi import HTTPException


def invalid(location: Literal["body", "query", "path"], name: str, message: str, status: int = 422) -> HTTPException:
    return HTTPException(status, [{"loc": [location, name], "msg": message, "type": "value_error"}])
