"""The API catalogues as pages that work without internet and under the CSP.

/docs: Swagger UI from the assets of the `fastapi-offline` wheel, served by the service itself,
started by a script file (no inline script). /asyncapi: the event catalogue rendered on the
server from the AsyncAPI document (channels, messages, payload schemas): no script at all."""

import json
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from npa.infrastructure.pages import make_templates

SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"
SWAGGER_PREFIX = "/_portal/swagger"
_templates = make_templates()


def install(app: FastAPI, asyncapi) -> None:  # noqa: ANN001 - faststream's AsyncAPI factory
    app.mount(SWAGGER_PREFIX, StaticFiles(directory=SWAGGER_ASSETS), name="swagger-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return _templates.TemplateResponse(request, "api_docs/swagger.html", {
            "title": app.title, "openapi_url": app.openapi_url, "assets": SWAGGER_PREFIX})

    @app.get("/asyncapi", include_in_schema=False)
    def asyncapi_page(request: Request) -> HTMLResponse:
        document = json.loads(asyncapi.to_specification().to_json())
        return _templates.TemplateResponse(request, "api_docs/asyncapi.html", {
            "doc": document, "channels": _channels(document), "pretty": _pretty})


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _channels(document: dict) -> list[dict]:
    """Each channel with its operations (send/receive) and messages, references resolved."""
    components = document.get("components", {})
    operations = document.get("operations", {})
    found = []
    for name, channel in sorted(document.get("channels", {}).items()):
        messages = []
        for key, message in (channel.get("messages") or {}).items():
            message = _resolve(message, components)
            payload = _resolve(message.get("payload", {}), components)
            messages.append({"name": message.get("name") or message.get("title") or key,
                             "summary": message.get("summary") or message.get("description") or "",
                             "payload": payload})
        actions = sorted({op.get("action", "") for op in operations.values()
                          if op.get("channel", {}).get("$ref", "").endswith(f"/{name}")})
        found.append({"name": name, "address": channel.get("address", name),
                      "description": channel.get("description", ""), "actions": actions, "messages": messages})
    return found


def _resolve(value: dict, components: dict, depth: int = 0) -> dict:
    reference = value.get("$ref") if isinstance(value, dict) else None
    if not reference or depth > 5 or not reference.startswith("#/components/"):
        return value
    node: object = components
    for part in reference.removeprefix("#/components/").split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return _resolve(node if isinstance(node, dict) else {}, components, depth + 1)
