"""ASGI middleware: the reader's language for every request (see npa.infrastructure.i18n)."""

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from npa.infrastructure import i18n


MACHINE_PATHS = ("/api/", "/metrics", "/healthz", "/readyz", "/openapi.json", "/asyncapi.json")


class LanguageMiddleware:
    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http" or scope["path"].startswith(MACHINE_PATHS):
            await self.app(scope, receive, send)  # programs get JSON in the contract's words
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        cookie = None
        if "cookie" in headers:
            try:
                morsel = SimpleCookie(headers["cookie"]).get(i18n.COOKIE)
                cookie = morsel.value if morsel else None
            except Exception:  # a malformed Cookie header is ignored, not an error
                cookie = None
        language, remember = i18n.choose(query, cookie, headers.get("accept-language"))
        scope.setdefault("state", {})["language"] = language
        token = i18n.use(language)

        async def send_with_cookie(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                extra = [(b"content-language", language.encode())]
                if remember:
                    value = f"{i18n.COOKIE}={language}; Path=/; Max-Age={i18n.COOKIE_MAX_AGE}; SameSite=Lax"
                    extra.append((b"set-cookie", value.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            i18n.reset(token)
