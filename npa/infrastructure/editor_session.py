"""Editor sessions: issued by the actors service at sign-in, verified by every service (ADR 21).

The session is a cookie signed with the platform's secret (`NPA_SECRET_KEY`, its own salt): it
names the editor (id, login, display name) and when it was issued, and is valid for
`SESSION_MAX_AGE`. Every service checks it on its own, without a call to the actors service and
without a shared database: the signature, the age, and the service's own copy of ended sessions
(npa/infrastructure/editor_revocations.py, from `npa.editors.v1`), so a disabled editor is
out of every service within seconds. Cookie attributes: HttpOnly, SameSite=Strict (a form posted from
another site arrives without it, so it changes nothing), Secure when the public base URL is https,
Path=/ (cookies are per host, not per port, so one sign-in serves every service of the portal).
"""

from datetime import timedelta
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from npa.infrastructure import editor_revocations
from npa.infrastructure.editor_identity import Editor

COOKIE = "npa_editor"
SESSION_MAX_AGE = timedelta(hours=8)
SALT = "npa.editor.session"
SIGN_IN_PATH = "/editor/sign-in"


class EditorSessions:
    def __init__(self, secret_key: str, max_age: timedelta = SESSION_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self.max_age = max_age

    def issue(self, editor: Editor) -> str:
        return self._serializer.dumps([editor.id, editor.login, editor.display_name])

    def read(self, value: str | None) -> Editor | None:
        if not value:
            return None
        try:
            (editor_id, login, display_name), issued_at = self._serializer.loads(
                value, max_age=int(self.max_age.total_seconds()), return_timestamp=True)
        except (BadSignature, ValueError, TypeError):
            return None
        return Editor(str(editor_id), str(login), str(display_name), issued_at)


def _sessions(request: Request) -> EditorSessions:
    sessions = getattr(request.app.state, "editor_sessions", None)
    if sessions is None:
        sessions = request.app.state.editor_sessions = EditorSessions(request.app.state.runtime.settings.secret_key)
    return sessions


def current_editor(request: Request) -> Editor | None:
    """The editor of a valid session that has not been ended (account disabled, password changed)."""
    editor = _sessions(request).read(request.cookies.get(COOKIE))
    if editor is None or editor.issued_at is None:
        return None
    with request.app.state.runtime.reading() as session:
        if editor_revocations.is_revoked(session, editor.id, editor.issued_at):
            return None
    return editor


def _base_urls(request: Request) -> dict[str, str]:
    return request.app.state.runtime.settings.public_base_urls


def here(request: Request) -> str:
    """This page's public URL (never built from the Host header)."""
    settings = request.app.state.runtime.settings
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{settings.public_base_url}{request.url.path}{query}"


def sign_in_url(request: Request, next_url: str | None = None) -> str:
    return f"{_base_urls(request)['actors']}{SIGN_IN_PATH}?next={quote(next_url or here(request), safe='')}"


def require_editor(request: Request) -> Editor:
    """A FastAPI dependency of every editor page: the signed-in editor, or a redirect to sign in."""
    editor = current_editor(request)
    if editor is None:
        raise HTTPException(303, "sign-in required", headers={"Location": sign_in_url(request)})
    return editor


def is_safe_next(request: Request, url: str) -> bool:
    """Only back to one of the portal's own services (no open redirect)."""
    parts = urlsplit(url)
    return any(url.startswith(base + "/") for base in _base_urls(request).values()) and not parts.username


def set_session(request: Request, response: Response, editor: Editor) -> None:
    secure = _base_urls(request)["actors"].startswith("https://")
    response.set_cookie(COOKIE, _sessions(request).issue(editor), max_age=int(SESSION_MAX_AGE.total_seconds()),
                        path="/", httponly=True, samesite="strict", secure=secure)


def clear_session(request: Request, response: Response) -> None:
    secure = _base_urls(request)["actors"].startswith("https://")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)


def editor_links(request: Request) -> list[tuple[str, str]]:
    """The editors' navigation across the services (public base URLs)."""
    urls = _base_urls(request)
    return [
        ("Übersicht", f"{urls['actors']}/editor"),
        ("Akteure", f"{urls['actors']}/editor/actors"),
        ("Gute Beispiele", f"{urls['offers']}/editor/examples"),
        ("Angebote", f"{urls['offers']}/editor/offers"),
        ("Partner", f"{urls['offers']}/editor/partners"),
        ("Abgewiesene Nachrichten", f"{urls['reports']}/editor/dead-letters"),
        ("Protokoll Akteure", f"{urls['actors']}/editor/audit"),
        ("Protokoll Angebote", f"{urls['offers']}/editor/offers-audit"),
    ]
