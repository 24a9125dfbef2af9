"""Redirects never point at a host a client named: a `Location` on the request's own host is
sent as a relative reference (path and query only).

Starlette builds the URL of its trailing-slash redirect (`/api/v1/actors/` → `/api/v1/actors`)
from the request, Host header included, so a forged Host made the service redirect to any
site (a cache in front would keep it for everyone). A relative `Location` (RFC 9110 allows it)
resolves against the URL the client really asked for.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def relative(location: str, host: str) -> str:
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    if parts.netloc.lower() != host.lower():
        return location  # a deliberate link elsewhere (another service's public base URL)
    path = parts.path or "/"
    if path.startswith("//"):
        path = "/" + path.lstrip("/")  # never a scheme-relative reference to another host
    return path + (f"?{parts.query}" if parts.query else "")


class RelativeRedirectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"host"), "")

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [
                    (name, relative(value.decode("latin-1"), host).encode("latin-1")) if name == b"location"
                    else (name, value) for name, value in message.get("headers", ())]
            await send(message)

        await self.app(scope, receive, send_relative)
