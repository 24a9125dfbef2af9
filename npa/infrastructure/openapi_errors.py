"""Every status a route can answer is in the OpenAPI document, with its error shape.

The answers every route shares are added to each operation of a service's document, unless
the route declares its own:

- 422 everywhere: the input guard answers it for any route (a control character in a query
  parameter), the models for bad parameters and bodies (`detail[].loc` names the field);
- 400 and 413 where there is a body (not JSON; the body limit);
- 401 and 403 where the operation names a security scheme (a bearer token);
- 404 where the path has a parameter (the thing named is not there).

Errors have one shape: `{"detail": "text"}` or `{"detail": [{"loc": […], "msg": "…", "type": "…"}]}`.
A route answering anything else (409, 415, 429, 503) declares it with `responses=`, using
`ERROR` as its model so the shape is the same.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from npa.infrastructure.errors import invalid


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body/query/path, then the field")
    msg: str
    type: str


class Error(BaseModel):
    detail: str | list[FieldError]


ERROR: dict[str, Any] = {"model": Error}
SHARED = {
    "400": "the body is not JSON (or not UTF-8)",
    "401": "no bearer token, or an unknown, expired or revoked one",
    "403": "this token may not do this (admin token required, or another partner's key)",
    "404": "not found",
    "413": "request body larger than the limit",
    "422": "invalid input; `detail[].loc` names the field",
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def complete(document: dict) -> dict:
    """Add the shared answers to every operation of an OpenAPI document (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("FieldError", FieldError.model_json_schema())
    error_schema = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    error_schema.pop("$defs", None)
    schemas.setdefault("Error", error_schema)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            wanted = ["422"]
            if "requestBody" in operation:
                wanted += ["400", "413"]
            if operation.get("security"):
                wanted += ["401", "403"]
            if "{" in path:
                wanted.append("404")
            for status in wanted:
                if status == "422" and status in responses:
                    responses[status] = _error_response(SHARED[status])  # also the guard's answers
                responses.setdefault(status, _error_response(SHARED[status]))
            for status, response in responses.items():  # a route's own 4xx: the same shape
                if status.startswith("4") and not response.get("content"):
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return document


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes,
                openapi_version=app.openapi_version))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _query_names(dependant: Any) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


_KNOWN_QUERY: dict[int, frozenset[str]] = {}


def known_query_only(request: Request) -> None:
    """A JSON route answers 422 to a query parameter it does not declare (a misspelt filter
    would otherwise be ignored and the answer look right). Used by every `/api/v1` router."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    allowed = _KNOWN_QUERY.get(id(route))
    if allowed is None:
        allowed = _KNOWN_QUERY[id(route)] = frozenset(_query_names(route.dependant))
    for name in request.query_params:
        if name not in allowed:
            raise invalid("query", name, f"unknown query parameter; this route takes {sorted(allowed) or 'none'}")
