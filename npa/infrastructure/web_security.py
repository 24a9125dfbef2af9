"""Web hygiene for every service (issue 10, point 5), as one ASGI middleware.

Headers: every response gets `X-Content-Type-Options: nosniff` and a `Referrer-Policy`; every HTML
response a Content-Security-Policy without inline script or style (pages load their CSS and JS
from the service itself), `frame-ancestors 'none'` (and `X-Frame-Options: DENY` for old browsers).

CSRF: a form post from another site is refused. Browsers send `Origin` on every POST (and
`Sec-Fetch-Site`): an unsafe request to a page path (not /api/) is accepted only when
Sec-Fetch-Site is same-origin, or its Origin is one of the portal's own origins (the public base
URLs of the four services) or the origin of the request itself (scheme and Host: the page was
served from here), or, without Origin, when Sec-Fetch-Site says same-site / none. A request with
neither header comes from no browser (curl, a mail provider's RFC 8058 one-click unsubscribe)
and carries no ambient credentials, so it passes. /api/ paths authenticate with bearer
tokens, which a browser never attaches on its own: they are not checked (ADR 18).
"""

import json

from npa.infrastructure.portal import Portal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TRUSTED_FETCH_SITES = frozenset({"same-origin", "same-site", "none"})
REFERRER_POLICY = b"strict-origin-when-cross-origin"


def content_security_policy(portal: Portal) -> str:
    form_targets = " ".join(sorted(portal.origins()))
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        f"form-action 'self' {form_targets}", "frame-ancestors 'none'",
    ])


class WebSecurityMiddleware:
    def __init__(self, app, portal: Portal) -> None:  # noqa: ANN001
        self.app = app
        self.origins = portal.origins()
        self.csp = content_security_policy(portal).encode()

    def refusal(self, headers: dict[str, str], scheme: str) -> str | None:
        """Why an unsafe request to a page path is refused, or None. The browser sets Origin,
        Host and Sec-Fetch-Site itself; a page of another site can change none of them."""
        site = headers.get("sec-fetch-site")
        if site == "same-origin":
            return None
        origin = headers.get("origin")
        if origin is not None:
            origin = origin.lower()
            if origin in self.origins or origin == f"{scheme}://{headers.get('host', '').lower()}":
                return None
            return f"Origin {origin!r} is not one of this portal's origins"
        if site is not None and site not in TRUSTED_FETCH_SITES:
            return f"Sec-Fetch-Site {site!r}: a form of another site"
        return None

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not scope["path"].startswith("/api/"):
            headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
            reason = self.refusal(headers, scope.get("scheme", "http"))
            if reason is not None:
                await self.forbid(send, reason, "text/html" in headers.get("accept", ""))
                return

        async def send_with_headers(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                message = {**message, "headers": self.secure(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def secure(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
        added = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", REFERRER_POLICY)]
        if content_type.startswith(b"text/html"):
            added += [(b"content-security-policy", self.csp), (b"x-frame-options", b"DENY")]
        return headers + [(name, value) for name, value in added if name not in present]

    async def forbid(self, send, reason: str, html: bool) -> None:  # noqa: ANN001
        if html:
            body = ("<!doctype html><html lang=\"de\"><meta charset=\"utf-8\"><title>Nicht erlaubt</title>"
                    "<h1>Nicht erlaubt</h1><p>Dieses Formular wurde von einer fremden Seite abgeschickt und "
                    "deshalb nicht angenommen. Bitte öffnen Sie das Formular auf unserer Seite und senden Sie "
                    "es dort ab.</p></html>").encode()
            content_type = b"text/html; charset=utf-8"
        else:
            body = json.dumps({"detail": [{"loc": ["header", "origin"], "msg": f"cross-site request refused: {reason}",
                                           "type": "csrf"}]}).encode()
            content_type = b"application/json"
        headers = self.secure([(b"content-type", content_type), (b"content-length", str(len(body)).encode())])
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
