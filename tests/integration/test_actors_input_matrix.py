"""Every actors route against valid and invalid input: status code, the field named in
`detail[].loc`, and that a rejected request changes nothing (no row, no staged event).

One service (real broker, SQLite) serves the whole module; validation does not depend on the
database, the directory tests run on SQLite and PostgreSQL.
"""

import pytest
import pytest_asyncio
from sqlalchemy import func
from sqlmodel import Session, select

from npa.infrastructure.outbox import OutboxMessage
from services.actors.domain import KINDS
from services.actors.models import Actor
from tests.support.processes import tansu_broker
from tests.support.services import ADMIN, running_service, service_settings

ACTOR = {"name": "Stadtteilzentrum Linden", "kind": "initiative", "districts": ["03241"], "fields": ["sprache"]}
FULL = {
    "name": "  Caritasverband Osnabrück  ", "kind": "freier_traeger", "districts": ["03459", "03404", "03404"],
    "fields": ["wohnen", "teilhabe", "wohnen"], "description": "Beratung zu Wohnen, Alltag und Teilhabe.",
    "email": "info@caritas-os.example", "phone": "+49 541 34978-0", "website": "https://caritas-os.example",
    "address": "Johannisstraße 91", "postcode": "49074", "is_multiplier": True,
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(tmp_path_factory):  # noqa: ANN001, ANN201
    with tansu_broker() as bootstrap:
        url = f"sqlite:///{tmp_path_factory.mktemp('actors')}/actors.db"
        async with running_service(service_settings("actors", database_url=url, bootstrap=bootstrap)) as client:
            yield client


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def existing(client) -> dict:  # noqa: ANN001
    response = await client.post("/api/v1/actors", json=FULL, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def counts(client) -> tuple[int, int]:  # noqa: ANN001
    with Session(client.app.state.runtime.engine) as session:
        actors = session.exec(select(func.count()).select_from(Actor)).one()
        events = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    return actors, events


def locations(response) -> list[list]:  # noqa: ANN001
    return [item["loc"] for item in response.json()["detail"]]


async def test_register_minimal_and_full_bodies(client):  # noqa: ANN001
    minimal = await client.post("/api/v1/actors", json={"name": "Jobcenter", "kind": "kommune", "fields": ["arbeit"]},
                                headers=ADMIN)
    assert minimal.status_code == 201, minimal.text
    assert minimal.json() | {"id": "x"} == {
        "id": "x", "version": 1, "name": "Jobcenter", "kind": "kommune", "districts": [], "fields": ["arbeit"],
        "description": "", "email": None, "phone": None, "website": None, "address": None, "postcode": None,
        "is_multiplier": False, "active": True}
    full = (await client.post("/api/v1/actors", json=FULL, headers=ADMIN)).json()
    assert (full["name"], full["districts"], full["fields"]) == (
        "Caritasverband Osnabrück", ["03404", "03459"], ["teilhabe", "wohnen"])
    assert (full["website"], full["postcode"], full["is_multiplier"]) == ("https://caritas-os.example/", "49074", True)
    assert (await client.get(f"/api/v1/actors/{full['id']}")).json() == full
    for kind in KINDS:
        response = await client.post("/api/v1/actors", json={**ACTOR, "kind": kind}, headers=ADMIN)
        assert response.status_code == 201, kind


INVALID_BODIES = {
    "name missing": ({k: v for k, v in ACTOR.items() if k != "name"}, ["body", "name"]),
    "name too short": ({**ACTOR, "name": "A"}, ["body", "name"]),
    "name only spaces": ({**ACTOR, "name": "   "}, ["body", "name"]),
    "name too long": ({**ACTOR, "name": "x" * 201}, ["body", "name"]),
    "kind missing": ({k: v for k, v in ACTOR.items() if k != "kind"}, ["body", "kind"]),
    "kind unknown": ({**ACTOR, "kind": "verein"}, ["body", "kind"]),
    "districts unknown": ({**ACTOR, "districts": ["99999"]}, ["body", "districts"]),
    "districts not a list": ({**ACTOR, "districts": "03241"}, ["body", "districts"]),
    "districts too many": ({**ACTOR, "districts": ["03241"] * 46}, ["body", "districts"]),
    "fields missing": ({k: v for k, v in ACTOR.items() if k != "fields"}, ["body", "fields"]),
    "fields empty": ({**ACTOR, "fields": []}, ["body", "fields"]),
    "fields unknown": ({**ACTOR, "fields": ["kochen"]}, ["body", "fields"]),
    "fields too many": ({**ACTOR, "fields": ["sprache"] * 6}, ["body", "fields"]),
    "description too long": ({**ACTOR, "description": "x" * 5001}, ["body", "description"]),
    "email": ({**ACTOR, "email": "keine-mail"}, ["body", "email"]),
    "phone letters": ({**ACTOR, "phone": "ruf an"}, ["body", "phone"]),
    "phone too short": ({**ACTOR, "phone": "12"}, ["body", "phone"]),
    "website not a URL": ({**ACTOR, "website": "caritas"}, ["body", "website"]),
    "website not http": ({**ACTOR, "website": "ftp://caritas.example"}, ["body", "website"]),
    "postcode four digits": ({**ACTOR, "postcode": "3015"}, ["body", "postcode"]),
    "postcode letters": ({**ACTOR, "postcode": "3015A"}, ["body", "postcode"]),
    "address too long": ({**ACTOR, "address": "x" * 201}, ["body", "address"]),
    "is_multiplier not a bool": ({**ACTOR, "is_multiplier": "vielleicht"}, ["body", "is_multiplier"]),
    "unknown field": ({**ACTOR, "active": False}, ["body", "active"]),
    "not an object": ([ACTOR], ["body"]),
}


@pytest.mark.parametrize(("body", "loc"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
async def test_register_rejects_bad_bodies_and_changes_nothing(client, body, loc):  # noqa: ANN001
    before = counts(client)
    response = await client.post("/api/v1/actors", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert loc in [item[: len(loc)] for item in locations(response)], response.text
    assert counts(client) == before


async def test_malformed_json_is_rejected(client):  # noqa: ANN001
    response = await client.post("/api/v1/actors", content=b'{"name": ', headers={**ADMIN, "Content-Type": "application/json"})
    assert response.status_code == 422 and locations(response)[0][0] == "body"


async def test_writes_need_the_admin_token(client, existing):  # noqa: ANN001
    before = counts(client)
    path = f"/api/v1/actors/{existing['id']}"
    for headers, status in (({}, 401), ({"Authorization": "Bearer not-the-admin"}, 403)):
        assert (await client.post("/api/v1/actors", json=ACTOR, headers=headers)).status_code == status
        assert (await client.patch(path, json={"name": "Übernommen"}, headers=headers)).status_code == status
        assert (await client.delete(path, headers=headers)).status_code == status
    assert counts(client) == before
    assert (await client.get(path)).json() == existing


async def test_patch_changes_only_what_differs(client):  # noqa: ANN001
    actor = (await client.post("/api/v1/actors", json=FULL, headers=ADMIN)).json()
    path = f"/api/v1/actors/{actor['id']}"
    before = counts(client)
    for unchanged in ({}, {"name": actor["name"]}, {"fields": ["wohnen", "teilhabe"]}):
        response = await client.patch(path, json=unchanged, headers=ADMIN)
        assert response.status_code == 200 and response.json() == actor
    assert counts(client) == before

    cleared = await client.patch(path, json={"email": None, "phone": None, "districts": []}, headers=ADMIN)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json() == {**actor, "email": None, "phone": None, "districts": [], "version": 2}
    renamed = (await client.patch(path, json={"name": "Caritas Osnabrück", "kind": "kirche"}, headers=ADMIN)).json()
    assert (renamed["name"], renamed["kind"], renamed["version"]) == ("Caritas Osnabrück", "kirche", 3)
    assert counts(client) == (before[0], before[1] + 2)


INVALID_PATCHES = {
    **{f"{name} null": ({name: None}, ["body", name])
       for name in ("name", "kind", "districts", "fields", "description", "is_multiplier")},
    "name too short": ({"name": "A"}, ["body", "name"]),
    "kind unknown": ({"kind": "verein"}, ["body", "kind"]),
    "districts unknown": ({"districts": ["03241", "99999"]}, ["body", "districts"]),
    "fields empty": ({"fields": []}, ["body", "fields"]),
    "fields unknown": ({"fields": ["kochen"]}, ["body", "fields"]),
    "email": ({"email": "keine-mail"}, ["body", "email"]),
    "phone": ({"phone": "ruf an"}, ["body", "phone"]),
    "website": ({"website": "caritas"}, ["body", "website"]),
    "postcode": ({"postcode": "123"}, ["body", "postcode"]),
    "active is not patched": ({"active": True}, ["body", "active"]),
    "id is not patched": ({"id": "other"}, ["body", "id"]),
    "version is not patched": ({"version": 9}, ["body", "version"]),
}


@pytest.mark.parametrize(("body", "loc"), INVALID_PATCHES.values(), ids=INVALID_PATCHES.keys())
async def test_patch_rejects_bad_values_and_changes_nothing(client, existing, body, loc):  # noqa: ANN001
    before = counts(client)
    response = await client.patch(f"/api/v1/actors/{existing['id']}", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert loc in [item[: len(loc)] for item in locations(response)], response.text
    assert counts(client) == before
    assert (await client.get(f"/api/v1/actors/{existing['id']}")).json() == existing


async def test_unknown_actor_is_404_on_every_route(client):  # noqa: ANN001
    before = counts(client)
    assert (await client.get("/api/v1/actors/unknown")).status_code == 404
    assert (await client.patch("/api/v1/actors/unknown", json={"name": "Neu"}, headers=ADMIN)).status_code == 404
    assert (await client.delete("/api/v1/actors/unknown", headers=ADMIN)).status_code == 404
    assert counts(client) == before


async def test_deactivate_is_idempotent(client):  # noqa: ANN001
    actor = (await client.post("/api/v1/actors", json=ACTOR, headers=ADMIN)).json()
    before = counts(client)
    for _ in range(2):
        assert (await client.delete(f"/api/v1/actors/{actor['id']}", headers=ADMIN)).status_code == 204
    assert counts(client) == (before[0], before[1] + 1)
    gone = (await client.get(f"/api/v1/actors/{actor['id']}")).json()
    assert (gone["active"], gone["version"]) == (False, 2)


INVALID_QUERIES = {
    "field unknown": ({"field": "kochen"}, "field"),
    "region unknown": ({"region": "Atlantis"}, "region"),
    "region not a Lower Saxony district": ({"region": "09162"}, "region"),
    "kind unknown": ({"kind": "verein"}, "kind"),
    "multiplier not a bool": ({"multiplier": "vielleicht"}, "multiplier"),
    "include_inactive not a bool": ({"include_inactive": "vielleicht"}, "include_inactive"),
    "q too long": ({"q": "x" * 201}, "q"),
    "limit zero": ({"limit": 0}, "limit"),
    "limit too large": ({"limit": 501}, "limit"),
    "limit not a number": ({"limit": "viele"}, "limit"),
    "offset negative": ({"offset": -1}, "offset"),
    "cursor garbage": ({"cursor": "kaputt"}, "cursor"),
    "cursor and offset": ({"cursor": "WyJhIiwgImEiLCAiYiJd", "offset": 5}, "offset"),
    "field empty": ({"field": ""}, "field"),  # an enumeration: leave the parameter out for "any"
    "region empty": ({"region": ""}, "region"),
    "kind empty": ({"kind": ""}, "kind"),
    "offset beyond 64 bits": ({"offset": "9223372036854775808"}, "offset"),
    "unknown parameter": ({"feld": "wohnen"}, "feld"),
}


@pytest.mark.parametrize(("params", "name"), INVALID_QUERIES.values(), ids=INVALID_QUERIES.keys())
async def test_list_rejects_bad_filters_naming_the_parameter(client, params, name):  # noqa: ANN001
    response = await client.get("/api/v1/actors", params=params)
    assert response.status_code == 422, response.text
    assert ["query", name] in locations(response), response.text


VALID_QUERIES = [
    {}, {"field": "wohnen"}, {"region": "03404"}, {"region": "Weser-Ems"},
    {"region": "Lüneburg"}, {"kind": "freier_traeger"}, {"multiplier": "true"}, {"multiplier": "false"},
    {"q": "caritas"}, {"q": "100%_"}, {"include_inactive": "true"}, {"limit": 1, "offset": 1}, {"limit": 500},
    {"cursor": "WyJhIiwgImEiLCAiYiJd"},
]


@pytest.mark.parametrize("params", VALID_QUERIES, ids=[str(p) for p in VALID_QUERIES])
async def test_list_accepts_valid_filters(client, existing, params):  # noqa: ANN001
    response = await client.get("/api/v1/actors", params=params)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"total", "offset", "items", "next_cursor", "prev_cursor"}
