"""Good-example routes against the real broker: each route's input matrix, visibility and filters."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session, func, select

from npa.contracts import topics
from npa.contracts.envelope import decode, encode, new_event
from npa.contracts.events import actors as actor_events
from npa.infrastructure.outbox import OutboxMessage
from services.offers.models import KnownActor
from tests.support.processes import tansu_broker
from tests.support.services import ADMIN, eventually, produce, running_service, service_settings

ACTOR, RETIRED_ACTOR = "actor-celle", "actor-retired"
WRONG = {"Authorization": "Bearer not-the-admin-token"}
EXAMPLE = {
    "title": "Sprachpatenschaften im Landkreis Celle",
    "situation": "Viele Neuzugewanderte warten monatelang auf einen Integrationskurs.",
    "goals": "Alltagsdeutsch üben, bevor der Kurs beginnt.",
    "measures": "Ehrenamtliche Tandems treffen sich wöchentlich in der Stadtbibliothek.",
    "results": "120 Tandems, 80 Prozent bestehen danach den Einstufungstest.",
    "fields": ["sprache", "engagement"],
    "district": "03351",
    "actor_id": ACTOR,
    "contact_email": "sprachpaten@celle.example",
    "period": "seit 2023",
    "url": "https://sprachpaten-celle.example/",
}


async def announce_actor(bootstrap: str, actor_id: str, event_type: str = actor_events.REGISTERED,
                         version: int = 1) -> None:
    state = actor_events.ActorState(id=actor_id, version=version, name=f"Freiwilligenagentur {actor_id}",
                                    kind="initiative", districts=["03351"], fields=["sprache"],
                                    active=event_type != actor_events.DEACTIVATED)
    event = new_event(source=actor_events.SOURCE, type=event_type, subject=actor_id, data=state.model_dump(mode="json"))
    await produce(bootstrap, topics.ACTORS, encode(event), key=actor_id.encode())


def known_actors(client: httpx.AsyncClient) -> dict[str, bool]:
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        return {actor.id: actor.active for actor in session.exec(select(KnownActor))}


def staged_events(client: httpx.AsyncClient, example_id: str) -> list[tuple[str, int]]:
    """(type, version) of the example's events in the outbox, oldest first: what the service
    committed, independent of when the relay gets them onto the broker."""
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.key == example_id).order_by(OutboxMessage.id))
        return [(row.event_type, decode(row.payload).data["version"]) for row in rows]


@asynccontextmanager
async def offers_with_actors(bootstrap: str, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The offers service, once it knows ACTOR (active) and RETIRED_ACTOR (deactivated) from the bus."""
    settings = service_settings("offers", database_url=database_url, bootstrap=bootstrap)
    async with running_service(settings) as client:
        await announce_actor(bootstrap, ACTOR)
        await announce_actor(bootstrap, RETIRED_ACTOR)
        await announce_actor(bootstrap, RETIRED_ACTOR, actor_events.DEACTIVATED, version=2)
        await eventually(lambda: known_actors(client) == {ACTOR: True, RETIRED_ACTOR: False})
        yield client


async def create_draft(client: httpx.AsyncClient, **changes: object) -> dict:
    response = await client.post("/api/v1/examples", json={**EXAMPLE, **changes}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def publish(client: httpx.AsyncClient, example_id: str) -> dict:
    response = await client.post(f"/api/v1/examples/{example_id}/publish", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def offers(tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    """One service for the input matrix: every case here is rejected or read-only."""
    with tansu_broker() as bootstrap:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('examples')}/offers.db"
        async with offers_with_actors(bootstrap, database_url) as client:
            yield client


@pytest_asyncio.fixture(loop_scope="session")
async def draft(offers) -> dict:  # noqa: ANN001
    return await create_draft(offers)


WRITES = [
    ("POST", "/api/v1/examples", EXAMPLE),
    ("PATCH", "/api/v1/examples/{id}", {"results": "150 Tandems"}),
    ("POST", "/api/v1/examples/{id}/publish", None),
    ("DELETE", "/api/v1/examples/{id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
@pytest.mark.parametrize(("headers", "status"), [({}, 401), (WRONG, 403)], ids=["no token", "wrong token"])
async def test_writes_need_the_admin_token(offers, draft, method, path, body, headers, status):  # noqa: ANN001
    response = await offers.request(method, path.format(id=draft["id"]), json=body, headers=headers)
    assert response.status_code == status, response.text
    assert (await offers.get(f"/api/v1/examples/{draft['id']}", headers=ADMIN)).json() == draft
    assert staged_events(offers, draft["id"]) == []


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/v1/examples/{id}", None),
    *WRITES[1:],
])
async def test_an_unknown_example_is_not_found(offers, method, path, body):  # noqa: ANN001
    response = await offers.request(method, path.format(id="no-such-example"), json=body, headers=ADMIN)
    assert response.status_code == 404 and "no-such-example" in response.json()["detail"]


MISSING = object()
BAD_BODIES = [
    ("title", "ab"), ("title", "x" * 201), ("title", MISSING), ("title", None),
    ("situation", MISSING), ("situation", "   "), ("situation", "x" * 5001),
    ("goals", MISSING), ("goals", 42), ("measures", MISSING), ("measures", ["Tandems"]),
    ("results", MISSING), ("results", "x" * 5001),
    ("fields", []), ("fields", ["kochen"]), ("fields", "sprache"), ("fields", MISSING),
    ("district", "12345"), ("district", "3351"),
    ("actor_id", MISSING), ("actor_id", "x" * 37), ("actor_id", "nobody"), ("actor_id", RETIRED_ACTOR),
    ("contact_email", "keine-adresse"), ("contact_email", MISSING),
    ("period", "x" * 101), ("period", MISSING),
    ("url", "ftp://sprachpaten.example/"), ("url", "keine url"),
    ("colour", "blau"),
]


@pytest.mark.parametrize(("name", "value"), BAD_BODIES, ids=[f"{n}={v!r:.20}" for n, v in BAD_BODIES])
async def test_create_rejects_each_bad_field_by_name(offers, name, value):  # noqa: ANN001
    body = {key: val for key, val in EXAMPLE.items() if key != name}
    if value is not MISSING:
        body[name] = value
    response = await offers.post("/api/v1/examples", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {("body", name)}, response.text


async def test_create_names_every_bad_field_at_once_and_stores_nothing(offers):  # noqa: ANN001
    before = (await offers.get("/api/v1/examples", params={"status": "draft"}, headers=ADMIN)).json()["total"]
    body = {**EXAMPLE, "district": "99999", "fields": ["kochen"], "contact_email": "x", "title": ""}
    response = await offers.post("/api/v1/examples", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "district"), ("body", "fields"), ("body", "contact_email"), ("body", "title")}
    after = (await offers.get("/api/v1/examples", params={"status": "draft"}, headers=ADMIN)).json()["total"]
    assert after == before


BAD_PATCHES = [
    ("title", None), ("title", "ab"), ("situation", None), ("results", "x" * 5001), ("fields", None),
    ("fields", ["kochen"]), ("district", "99999"), ("actor_id", None), ("actor_id", "nobody"),
    ("actor_id", RETIRED_ACTOR), ("contact_email", None), ("contact_email", "x@"), ("period", None),
    ("url", "mailto:info@celle.example"), ("status", "published"), ("version", 7),
]


@pytest.mark.parametrize(("name", "value"), BAD_PATCHES, ids=[f"{n}={v!r:.20}" for n, v in BAD_PATCHES])
async def test_update_rejects_each_bad_field_by_name_and_changes_nothing(offers, draft, name, value):  # noqa: ANN001
    response = await offers.patch(f"/api/v1/examples/{draft['id']}", json={name: value}, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {("body", name)}, response.text
    assert (await offers.get(f"/api/v1/examples/{draft['id']}", headers=ADMIN)).json() == draft


async def test_update_may_clear_district_and_url(offers, draft):  # noqa: ANN001
    response = await offers.patch(f"/api/v1/examples/{draft['id']}", json={"district": None, "url": None},
                                  headers=ADMIN)
    assert response.status_code == 200, response.text
    assert (response.json()["district"], response.json()["url"]) == (None, None)
    assert response.json()["version"] == 0, "a draft's changes are not announced"


BAD_QUERIES = [
    ("field", "kochen"), ("region", "Atlantis"), ("status", "archived"), ("limit", "0"), ("limit", "501"),
    ("offset", "-1"), ("q", "x" * 201),
]


@pytest.mark.parametrize(("name", "value"), BAD_QUERIES, ids=[f"{n}={v:.10}" for n, v in BAD_QUERIES])
async def test_list_rejects_each_bad_query_parameter_by_name(offers, name, value):  # noqa: ANN001
    response = await offers.get("/api/v1/examples", params={name: value}, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["query", name]]


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
async def test_unpublished_examples_are_listed_for_editors_only(offers, draft, status):  # noqa: ANN001
    assert (await offers.get("/api/v1/examples", params={"status": status})).status_code == 401
    assert (await offers.get("/api/v1/examples", params={"status": status}, headers=WRONG)).status_code == 403
    assert (await offers.get("/api/v1/examples", params={"status": status}, headers=ADMIN)).status_code == 200


async def test_a_wrong_token_on_a_public_read_is_refused_not_ignored(offers, draft):  # noqa: ANN001
    assert (await offers.get("/api/v1/examples", headers=WRONG)).status_code == 403
    assert (await offers.get(f"/api/v1/examples/{draft['id']}", headers=WRONG)).status_code == 403


async def test_public_list_shows_only_published_examples_and_filters_them(kafka_bootstrap, sqlite_url):
    async with offers_with_actors(kafka_bootstrap, sqlite_url) as client:
        celle = await publish(client, (await create_draft(client))["id"])
        state_wide = await publish(client, (await create_draft(
            client, title="Jobpaten landesweit", fields=["arbeit"], district=None,
            measures="Mentorinnen begleiten Bewerbungen und die ersten Wochen im Betrieb."))["id"])
        osnabrueck = await publish(client, (await create_draft(
            client, title="Wohnungslotsen Osnabrück", fields=["wohnen"], district="03404"))["id"])
        draft = await create_draft(client, title="Entwurf: Sprachcafé")
        withdrawn = await publish(client, (await create_draft(client, title="Zurückgezogen: Lernhilfe"))["id"])
        assert (await client.delete(f"/api/v1/examples/{withdrawn['id']}", headers=ADMIN)).status_code == 204

        async def titles(**params: object) -> tuple[int, list[str]]:
            response = await client.get("/api/v1/examples", params=params)
            assert response.status_code == 200, response.text
            return response.json()["total"], [item["title"] for item in response.json()["items"]]

        everything = (3, [state_wide["title"], celle["title"], osnabrueck["title"]])
        assert await titles() == everything
        assert await titles(field="sprache") == (1, [celle["title"]])
        assert await titles(region="03351") == (2, [state_wide["title"], celle["title"]])
        assert await titles(region="Weser-Ems") == (2, [state_wide["title"], osnabrueck["title"]])
        assert await titles(region="Lüneburg", field="arbeit") == (1, [state_wide["title"]])
        assert await titles(q="BEWERBUNGEN") == (1, [state_wide["title"]])
        assert await titles(limit=1, offset=1) == (3, [celle["title"]])

        for hidden in (draft, withdrawn):
            assert (await client.get(f"/api/v1/examples/{hidden['id']}")).status_code == 404
            as_editor = await client.get(f"/api/v1/examples/{hidden['id']}", headers=ADMIN)
            assert as_editor.status_code == 200 and as_editor.json()["title"] == hidden["title"]
        drafts = (await client.get("/api/v1/examples", params={"status": "draft"}, headers=ADMIN)).json()
        assert [item["id"] for item in drafts["items"]] == [draft["id"]]

        detail = (await client.get(f"/api/v1/examples/{celle['id']}")).json()
        assert detail == celle
        public_base_url = client.app.state.runtime.settings.public_base_url  # type: ignore[attr-defined]
        assert detail["page_url"] == f"{public_base_url}/examples/{celle['id']}"
        assert detail["url"] == EXAMPLE["url"]
        with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
            assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 5


async def test_the_list_page_names_an_unknown_filter_instead_of_failing(offers):  # noqa: ANN001
    response = await offers.get("/examples", params={"region": "Atlantis", "field": "sprache"})
    assert response.status_code == 422
    assert "Unbekannte Region „Atlantis“" in response.text and 'value="sprache" selected' in response.text
