"""Request body limit as a small pure-ASGI middleware: larger bodies answer 413.

Every service installs it (create_service_app): every route accepts at most 1 MiB unless a
service names an override, as the offers service does for its bulk import.

The middleware refuses a declared `Content-Length` above the limit before the route runs
and reads nothing of the body; without one (chunked upload) it counts the bytes as the
route reads them, answers 413 as soon as the limit is passed and stops the route by raising
`BodyTooLarge` from `receive`. Whatever the route sends after that is dropped, so the client
sees exactly one answer. Nothing here is specific to the offers service.
"""

import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

MiB = 1024 * 1024
DEFAULT_LIMIT = 1 * MiB

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    """Raised from `receive` once a streamed body passes the limit (the 413 is already sent)."""


def describe(limit: int) -> str:
    return f"request body larger than {limit // MiB} MiB" if limit % MiB == 0 else \
        f"request body larger than {limit} bytes"


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_LIMIT,
        overrides: Iterable[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = tuple(overrides)

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.overrides if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer_413(send, limit)
            return
        received = 0
        started = rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not rejected:
                    rejected = True
                    if not started:
                        await _answer_413(send, limit)
                    raise BodyTooLarge(describe(limit))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # the 413 went out already; drop the route's late answer
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass  # answered in counting_receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed header before we get here
    return None


async def _answer_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": describe(limit)}).encode()
    await send({
        "type": "http.response.start",
        "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],  # the unread rest of the body must not be taken as a request
    })
    await send({"type": "http.response.body", "body": body})
