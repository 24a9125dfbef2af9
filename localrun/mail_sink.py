"""Local SMTP sink: keeps every accepted mail as a .eml file and lists them on a web page.

python -m localrun.mail_sink  (SMTP on NPA_SMTP_PORT, default 1025; page on NPA_MAIL_SINK_PORT, default 8025)

The mails hold subscribers' addresses: the folder is 0700 and every file 0600 from the moment
it exists (a folder or files left readable by an older version are tightened at start).
"""

import email
import email.policy
import html
import os
import time
import uuid
from pathlib import Path

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, PlainTextResponse


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


def create_page(folder: Path) -> FastAPI:
    app = FastAPI(title="Lokales Postfach / local mail sink", docs_url=None, redoc_url=None)

    def mails() -> list[Path]:
        return sorted(folder.glob("*.eml"), reverse=True)

    @app.get("/", response_class=HTMLResponse)
    def inbox() -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(m['Date']))}</td><td>{html.escape(str(m['To']))}</td>"
            f"<td><a href='/mail/{p.name}'>{html.escape(str(m['Subject']))}</a></td></tr>"
            for p in mails()
            for m in [read_mail(p)]
        )
        return (
            "<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Lokales Postfach</title></head>"
            f"<body><h1>Lokales Postfach</h1><p>{len(mails())} Mails in <code>{html.escape(str(folder))}</code></p>"
            "<table><thead><tr><th scope='col'>Datum</th><th scope='col'>An</th><th scope='col'>Betreff</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></body></html>"
        )

    @app.get("/mail/{name}", response_class=HTMLResponse)
    def show(name: str) -> str:
        path = folder / Path(name).name
        if not path.exists():
            raise HTTPException(404, "no such mail")
        message = read_mail(path)
        part = message.get_body(preferencelist=("html", "plain"))
        content = part.get_content() if part else ""
        if part is not None and part.get_content_type() == "text/plain":
            content = f"<pre>{html.escape(content)}</pre>"
        headers = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in message.items())
        return (f"<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Mail</title></head><body>"
                f"<p><a href='/'>Zurück</a> · <a href='/raw/{path.name}'>Quelltext</a></p><dl>{headers}</dl><hr>{content}</body></html>")

    @app.get("/raw/{name}", response_class=PlainTextResponse)
    def raw(name: str) -> str:
        path = folder / Path(name).name
        if not path.exists():
            raise HTTPException(404, "no such mail")
        return path.read_text("utf-8", errors="replace")

    @app.get("/api/mails")
    def mail_index() -> list[dict]:
        return [{"file": p.name, "to": str(m["To"]), "subject": str(m["Subject"])} for p in mails() for m in [read_mail(p)]]

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
