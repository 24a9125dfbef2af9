"""The input guard of every service: what no route may receive, refused before any route runs
(pure ASGI, like the body limit), with a 422 in FastAPI's shape naming the field.

- the query string: a control character or lone surrogate in any parameter (`loc ["query",
  name]`), also `%00`, which PostgreSQL refuses in text;
- the path: a control character (`loc ["path"]`);
- a JSON body (`application/json`, `…+json`): anything `npa.contracts.text.find_unsafe`
  finds — a lone surrogate or control character other than a line break or tab, an integer
  beyond 64 bits, a non-finite number — `loc ["body", …]`;
- a form body: a control character other than a line break or tab, `loc ["body", name]`.

Which fields are single-line is up to the models (`SingleLine`, `MultiLine`). The 422 repeats
no input. Bodies are already capped by the body limit, which runs before this guard; JSON
lines and CSV (the bulk import) are checked line by line by their parser.
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from npa.contracts.text import find_unsafe, text_problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def query_problem(query_string: bytes) -> tuple[list[str | int], str] | None:
    text = query_string.decode("latin-1")
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape"):
        for part in (name, value):
            problem = text_problem(part, multiline=False)
            if problem:
                return ["query", name], problem
    return None


def body_problem(content_type: str, body: bytes) -> tuple[list[str | int], str] | None:
    if _is_json(content_type):
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None  # not JSON: the route's own parsing answers
        found = find_unsafe(document)
        return (["body", *found[0]], found[1]) if found else None
    if content_type == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                     errors="surrogateescape"):
            problem = text_problem(value, multiline=True) or text_problem(name, multiline=False)
            if problem:
                return ["body", name], problem
    return None


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = query_problem(scope.get("query_string", b""))
        if found is None:
            problem = text_problem(unquote(scope.get("raw_path", b"").decode("latin-1"), errors="surrogateescape")
                                   if scope.get("raw_path") else scope["path"], multiline=False)
            found = (["path"], problem) if problem else None
        content_type = _content_type(scope)
        if found is None and (_is_json(content_type) or content_type == "application/x-www-form-urlencoded"):
            chunks, more = [], True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    await self.app(scope, _replay([], receive, message), send)
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            found = body_problem(content_type, body)
            if found is None:
                await self.app(scope, _replay([body], receive), send)
                return
        if found is not None:
            await _answer_422(send, found[0], found[1])
            return
        await self.app(scope, receive, send)


def _replay(bodies: list[bytes], then: Receive, first: Message | None = None) -> Receive:
    """The body read already, then the original channel (which waits for the disconnect)."""
    pending: list[Message] = [first] if first is not None else []
    pending += [{"type": "http.request", "body": body, "more_body": False} for body in bodies]

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive


async def _answer_422(send: Send, loc: list[str | int], message: str) -> None:
    body = json.dumps({"detail": [{"loc": loc, "msg": message, "type": "value_error"}]}).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
