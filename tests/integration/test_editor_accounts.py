"""Editor accounts (ADR 21) on real SQLite and PostgreSQL databases: created with
`npa-editors`, argon2id hashes, sign-in with a signed session cookie (HttpOnly, SameSite=Strict,
Secure under https), throttled guessing, no open redirect, and an actor registered through the
editor pages with its event and its audit entry in the same transaction."""

import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlmodel import Session, select

from npa.infrastructure import audit
from npa.infrastructure.editor_session import COOKIE
from npa.infrastructure.outbox import OutboxMessage
from services.actors.app import create_app
from services.actors.editors import cli
from services.actors.models import Actor, EditorAccount
from tests.support.services import service_settings

PASSWORD = "korrekt Pferd Batterie 7"


def create_editor(database_url: str, monkeypatch, login: str = "anna", name: str = "Anna Beispiel") -> int:  # noqa: ANN001
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return cli.main(["--database-url", database_url, "create", login, "--name", name, "--password-stdin"])


@pytest.fixture
async def actors(database_url: str, monkeypatch) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    assert create_editor(database_url, monkeypatch) == 0
    app = create_app(service_settings("actors", database_url=database_url, bootstrap="127.0.0.1:9"))
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8001") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client
    app.state.runtime.engine.dispose()


async def sign_in(client: httpx.AsyncClient, password: str = PASSWORD, next_url: str = "") -> httpx.Response:
    return await client.post("/editor/sign-in", data={"login": "Anna", "password": password, "next": next_url})


def test_the_command_stores_only_an_argon2id_hash_and_refuses_bad_input(database_url, monkeypatch, capsys):  # noqa: ANN001
    assert create_editor(database_url, monkeypatch) == 0
    assert create_editor(database_url, monkeypatch) == 2  # exists already
    assert "exists already" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("kurz\n"))
    assert cli.main(["--database-url", database_url, "create", "bert", "--name", "Bert", "--password-stdin"]) == 2
    assert cli.main(["--database-url", database_url, "disable", "anna"]) == 0
    from npa.infrastructure.database import make_engine

    engine = make_engine(database_url)
    with Session(engine) as session:
        (account,) = session.exec(select(EditorAccount)).all()
        assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
        assert not account.active
        assert [entry.action for entry in reversed(audit.recent(session))] == ["editor.created", "editor.disabled"]
    engine.dispose()


async def test_sign_in_session_cookie_and_an_actor_registered_with_its_audit_entry(actors):  # noqa: ANN001
    start = await actors.get("/editor")
    assert start.status_code == 303
    # a redirect on the request's own host is relative (never built from the Host header, ADR 0014)
    assert start.headers["location"].startswith("/editor/sign-in?next=")

    assert (await sign_in(actors, "falsch falsch falsch")).status_code == 401
    assert COOKIE not in actors.cookies
    answer = await sign_in(actors, next_url="http://127.0.0.1:8002/editor/examples")
    assert answer.status_code == 303 and answer.headers["location"] == "http://127.0.0.1:8002/editor/examples"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie and "Path=/" in cookie
    assert "Anna Beispiel" in (await actors.get("/editor")).text

    form = {"name": "Sprachcafé Linden", "kind": "initiative", "fields": ["sprache"], "districts": ["03241"],
            "description": "Jeden Dienstag", "email": "", "website": "https://sprachcafe.example/"}
    bad = await actors.post("/editor/actors/new", data={**form, "kind": "verein"})
    assert bad.status_code == 422 and "Bitte prüfen" in bad.text
    created = await actors.post("/editor/actors/new", data=form)
    assert created.status_code == 303
    actor_id = created.headers["location"].split("/editor/actors/")[1].split("?")[0]
    edited = await actors.post(f"/editor/actors/{actor_id}", data={**form, "fields": ["sprache", "teilhabe"]})
    assert edited.status_code == 303
    assert (await actors.post(f"/editor/actors/{actor_id}/deactivate")).status_code == 303
    with Session(actors.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        actor = session.get_one(Actor, actor_id)
        assert (actor.name, actor.version, actor.active) == ("Sprachcafé Linden", 3, False)
        events = [row.event_type for row in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
        assert events == ["de.npa.actor.registered", "de.npa.actor.updated", "de.npa.actor.deactivated"]
        trail = [(e.action, e.editor, e.entity_id) for e in reversed(audit.recent(session)) if e.entity_kind == "actor"]
    assert trail == [(action, "Anna Beispiel (anna)", actor_id)
                     for action in ("actor.registered", "actor.updated", "actor.deactivated")]
    page = await actors.get(f"/editor/audit?entity_id={actor_id}")
    assert page.status_code == 200 and page.text.count("<td>Anna Beispiel (anna)</td>") == 3

    assert (await actors.post("/editor/sign-out")).status_code == 303
    assert (await actors.get("/editor")).status_code == 303


async def test_forged_sessions_and_foreign_redirects_are_refused(actors):  # noqa: ANN001
    actors.cookies.set(COOKIE, json.dumps(["x", "anna", "Anna"]), domain="127.0.0.1")
    assert (await actors.get("/editor")).status_code == 303
    actors.cookies.clear()
    answer = await sign_in(actors, next_url="https://evil.example/editor")
    assert answer.headers["location"] == "/editor"
    form = await actors.get("/editor/sign-in?next=//evil.example/x")
    # the form carries no foreign address on (the language switch links keep the page's own query)
    (kept,) = re.findall(r'<input type="hidden" name="next" value="([^"]*)">', form.text)
    assert "evil" not in kept


async def test_password_guessing_is_throttled(actors):  # noqa: ANN001
    statuses = [(await sign_in(actors, f"geraten {n} geraten")).status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    refused = await sign_in(actors)  # even the right password, while the window lasts
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "Zu viele Anmeldeversuche" in refused.text


async def test_the_cookie_is_secure_when_the_portal_is_served_over_https(database_url, monkeypatch):  # noqa: ANN001
    assert create_editor(database_url, monkeypatch) == 0
    settings = service_settings("actors", database_url=database_url, bootstrap="127.0.0.1:9")
    urls = {name: url.replace("http://127.0.0.1", "https://portal.example") for name, url in
            settings.public_base_urls.items()}
    app = create_app(replace(settings, public_base_urls=urls))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://portal.example") as client:
        answer = await client.post("/editor/sign-in", data={"login": "anna", "password": PASSWORD})
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]
    app.state.runtime.engine.dispose()
