"""A disabled editor is out of every service within seconds (ADR 21), with the real broker and
real SQLite or PostgreSQL databases: `npa-editors disable` ends the session at once on the
actors service and, through `de.npa.editor.sessions_revoked` on `npa.editors.v1`, on the offers
and reports services, which check sessions against their own copy. Enabling the account does
not bring the old session back; a new sign-in works everywhere; a new password ends the
sessions too. The event carries no login, name or address."""

import asyncio
import io
import json
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager

import httpx
import pytest
from sqlmodel import Session

from npa.contracts import topics
from npa.infrastructure import editor_revocations
from npa.infrastructure.editor_session import COOKIE
from services.actors.editors import cli
from tests.support.databases import postgres_database
from tests.support.services import eventually, read_topic, running_service, service_settings

PASSWORD = "korrekt Pferd Batterie 7"
NEW_PASSWORD = "ein anderes langes Passwort 8"
PAGES = {"actors": "/editor", "offers": "/editor/partners", "reports": "/editor/dead-letters"}
WITHIN = 60.0  # seconds: what ADR 21 promises


@contextmanager
def databases(kind: str, tmp_path) -> Iterator[dict[str, str]]:  # noqa: ANN001
    if kind == "sqlite":
        yield {name: f"sqlite:///{tmp_path}/{name}.db" for name in PAGES}
        return
    with postgres_database() as actors, postgres_database() as offers, postgres_database() as reports:
        yield {"actors": actors, "offers": offers, "reports": reports}


def editors(monkeypatch, url: str, *args: str, password: str = PASSWORD) -> int:  # noqa: ANN001
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return cli.main(["--database-url", url, *args])


async def sign_in(actors: httpx.AsyncClient, password: str = PASSWORD) -> str:
    answer = await actors.post("/editor/sign-in", data={"login": "anna", "password": password, "next": ""})
    assert answer.status_code == 303, answer.text
    return answer.cookies[COOKIE]


async def statuses(clients: dict[str, httpx.AsyncClient], cookie: str) -> dict[str, int]:
    answers = {}
    for name, client in clients.items():
        client.cookies.clear()
        client.cookies.set(COOKIE, cookie, domain="127.0.0.1")
        response = await client.get(PAGES[name])
        answers[name] = response.status_code
    return answers


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_disabled_editor_is_out_of_every_service_within_seconds(kind, tmp_path, kafka_bootstrap,  # noqa: ANN001
                                                                       monkeypatch):  # noqa: ANN001
    with databases(kind, tmp_path) as urls:
        assert editors(monkeypatch, urls["actors"], "create", "anna", "--name", "Anna Beispiel", "--password-stdin") == 0
        async with AsyncExitStack() as stack:
            clients = {name: await stack.enter_async_context(running_service(
                service_settings(name, database_url=urls[name], bootstrap=kafka_bootstrap))) for name in PAGES}
            cookie = await sign_in(clients["actors"])
            assert await statuses(clients, cookie) == {name: 200 for name in PAGES}

            disabled_at = time.monotonic()
            assert editors(monkeypatch, urls["actors"], "disable", "anna") == 0
            assert (await statuses(clients, cookie))["actors"] == 303  # its own database: at once

            async def everywhere_out() -> bool:
                return await statuses(clients, cookie) == {name: 303 for name in PAGES}

            await eventually(everywhere_out, timeout=WITHIN, interval=0.1)
            took = time.monotonic() - disabled_at
            print(f"disabled editor out of actors, offers and reports after {took:.2f} s ({kind})")
            assert took < WITHIN

            (record,) = await read_topic(kafka_bootstrap, topics.EDITORS, expected=1)
            event = json.loads(record.value)
            assert event["type"] == "de.npa.editor.sessions_revoked" and event["data"]["reason"] == "disabled"
            assert set(event["data"]) == {"editor_id", "revoked_at", "reason"}
            assert b"anna" not in record.value and b"Anna" not in record.value

            # enabling again does not revive the old session; a new sign-in works everywhere
            assert editors(monkeypatch, urls["actors"], "enable", "anna") == 0
            assert await statuses(clients, cookie) == {name: 303 for name in PAGES}
            await asyncio.sleep(1.05)  # sessions carry whole seconds: a new one after the revocation's second
            fresh = await sign_in(clients["actors"])
            assert await statuses(clients, fresh) == {name: 200 for name in PAGES}

            # a new password ends the sessions too
            assert editors(monkeypatch, urls["actors"], "password", "anna", "--password-stdin",
                           password=NEW_PASSWORD) == 0

            async def fresh_out() -> bool:
                return await statuses(clients, fresh) == {name: 303 for name in PAGES}

            await eventually(fresh_out, timeout=WITHIN, interval=0.1)
            for name in ("offers", "reports"):
                with Session(clients[name].app.state.runtime.engine) as session:  # type: ignore[attr-defined]
                    assert editor_revocations.revoked_at(session, event["data"]["editor_id"]) is not None
