"""Local SMTP sink: keeps every accepted mail as a .eml file and lists them on a web page in the
portal's layout (usable on a phone).

python -m localrun.mail_sink  (SMTP on NPA_SMTP_PORT, default 1025; page on NPA_MAIL_SINK_PORT, default 8025)

The mails hold subscribers' addresses: the folder is 0700 and every file 0600 from the moment
it exists (a folder or files left readable by an older version are tightened at start).
"""

import email
import email.policy
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from npa.infrastructure.pages import make_templates
from npa.infrastructure.portal import STATIC_PREFIX, Portal
from npa.infrastructure.service_defaults import STATIC_DIR
from npa.infrastructure.settings import DEFAULT_PORTS, public_base_url
from npa.infrastructure.web_security import WebSecurityMiddleware

HERE = Path(__file__).resolve().parent


class FolderHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir leaves an existing folder as it is
        for path in folder.glob("*.eml"):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(envelope.content)
        return "250 Message accepted for delivery"


def read_mail(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


# The mail's own HTML, shown in a sandboxed frame: its inline styles stay inside, no script runs.
MAIL_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
SHOWN_HEADERS = (("From", "Von"), ("To", "An"), ("Date", "Datum"), ("Reply-To", "Antwort an"),
                 ("List-Unsubscribe", "Abmelde-Link"))


def _path(folder: Path, name: str) -> Path:
    path = folder / Path(name).name
    if path.suffix != ".eml" or not path.exists():
        raise HTTPException(404, "no such mail")
    return path


def create_page(folder: Path) -> FastAPI:
    """The mailbox page in the portal's layout (header, footer, stylesheet, CSP of every page).
    German only, like the editors' pages: it is a tool for the people running `make run`."""
    app = FastAPI(title="Lokales Postfach / local mail sink", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = Portal("mailbox", {name: public_base_url(name) for name in DEFAULT_PORTS})
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="portal-static")
    app.mount("/_mailbox", StaticFiles(directory=HERE / "static"), name="mailbox-static")
    templates = make_templates(HERE)

    def mails() -> list[Path]:
        return sorted(folder.glob("*.eml"), reverse=True)

    @app.get("/", response_class=HTMLResponse)
    def inbox(request: Request) -> HTMLResponse:
        listed = [{"file": path.name, "to": str(message["To"] or ""), "subject": str(message["Subject"] or ""),
                   "received": datetime.fromtimestamp(path.stat().st_mtime, UTC)}
                  for path in mails() for message in [read_mail(path)]]
        return templates.TemplateResponse(request, "mailbox.html", {"mails": listed, "folder": str(folder)})

    @app.get("/mail/{name}", response_class=HTMLResponse)
    def show(name: str, request: Request) -> HTMLResponse:
        path = _path(folder, name)
        message = read_mail(path)
        text_part = message.get_body(preferencelist=("plain",))
        headers = [(label, str(message[key])) for key, label in SHOWN_HEADERS if message[key]]
        return templates.TemplateResponse(request, "mail.html", {
            "file": path.name, "subject": str(message["Subject"] or ""), "headers": headers,
            "has_html": message.get_body(preferencelist=("html",)) is not None,
            "text": text_part.get_content() if text_part is not None else None})

    @app.get("/mail/{name}/html", response_class=HTMLResponse)
    def mail_html(name: str) -> HTMLResponse:
        part = read_mail(_path(folder, name)).get_body(preferencelist=("html",))
        if part is None:
            raise HTTPException(404, "this mail has no HTML part")
        return HTMLResponse(part.get_content(), headers={"Content-Security-Policy": MAIL_HTML_POLICY,
                                                         "X-Frame-Options": "SAMEORIGIN"})

    @app.get("/raw/{name}", response_class=PlainTextResponse)
    def raw(name: str) -> str:
        return _path(folder, name).read_text("utf-8", errors="replace")

    @app.get("/api/mails")
    def mail_index() -> list[dict]:
        return [{"file": p.name, "to": str(m["To"]), "subject": str(m["Subject"])} for p in mails() for m in [read_mail(p)]]

    app.add_middleware(WebSecurityMiddleware, portal=app.state.portal)
    return app


def main() -> None:
    folder = Path(os.environ.get("NPA_VAR_DIR", "var")) / "mail"
    smtp = Controller(FolderHandler(folder), hostname="127.0.0.1", port=int(os.environ.get("NPA_SMTP_PORT", "1025")))
    smtp.start()
    try:
        uvicorn.run(create_page(folder), host="127.0.0.1", port=int(os.environ.get("NPA_MAIL_SINK_PORT", "8025")),
                    log_level="warning")
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
