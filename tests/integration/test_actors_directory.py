"""The actor directory on SQLite and PostgreSQL: filters alone and combined, stable cursor
pages, and "Wer arbeitet hier noch daran?", held to the plain rules in services/actors/domain.py."""

import itertools
import random

from sqlmodel import Session

from npa.contracts.reference import FIELDS, districts
from services.actors import domain
from services.actors.usecases import directory
from tests.support.services import ADMIN, running_service, service_settings

HANNOVER, GOETTINGEN, OSNABRUECK, LUENEBURG, EMSLAND = "03241", "03159", "03404", "03355", "03454"


async def register(client, **body) -> dict:  # noqa: ANN001
    body.setdefault("kind", "initiative")
    body.setdefault("fields", ["sprache"])
    response = await client.post("/api/v1/actors", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def names(client, **params) -> list[str]:  # noqa: ANN001
    response = await client.get("/api/v1/actors", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_each_filter_with_examples(kafka_bootstrap, database_url):  # noqa: ANN001
    settings = service_settings("actors", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register(client, name="Volkshochschule Hannover", kind="bildungstraeger", districts=[HANNOVER],
                       fields=["sprache", "arbeit"], is_multiplier=True, description="Integrationskurse")
        await register(client, name="Ärztekammer Niedersachsen", kind="sonstige", fields=["arbeit"],
                       description="Anerkennung ausländischer Abschlüsse, landesweit")
        await register(client, name="Caritasverband Osnabrück", kind="freier_traeger", districts=[OSNABRUECK],
                       fields=["wohnen"], description="100% Beratung rund ums Wohnen")
        await register(client, name="Freiwilligenagentur Lüneburg", districts=[LUENEBURG], fields=["engagement"],
                       is_multiplier=True)
        gone = await register(client, name="Alter Verein Göttingen", districts=[GOETTINGEN])
        await client.delete(f"/api/v1/actors/{gone['id']}", headers=ADMIN)

        assert await names(client) == ["Ärztekammer Niedersachsen", "Caritasverband Osnabrück",
                                        "Freiwilligenagentur Lüneburg", "Volkshochschule Hannover"]
        assert await names(client, field="arbeit") == ["Ärztekammer Niedersachsen", "Volkshochschule Hannover"]
        # a region is a district key or an ARL region name; state-wide actors are in every region
        assert await names(client, region=OSNABRUECK) == ["Ärztekammer Niedersachsen", "Caritasverband Osnabrück"]
        assert await names(client, region="Weser-Ems") == ["Ärztekammer Niedersachsen", "Caritasverband Osnabrück"]
        assert await names(client, region="Lüneburg") == ["Ärztekammer Niedersachsen", "Freiwilligenagentur Lüneburg"]
        assert await names(client, region=EMSLAND) == ["Ärztekammer Niedersachsen"]
        assert await names(client, kind="freier_traeger") == ["Caritasverband Osnabrück"]
        assert await names(client, multiplier="true") == ["Freiwilligenagentur Lüneburg", "Volkshochschule Hannover"]
        assert len(await names(client, multiplier="false")) == 2
        # text search: name and description, case- and accent-insensitive; % and _ are literal
        assert await names(client, q="ARZTEKAMMER") == ["Ärztekammer Niedersachsen"]
        assert await names(client, q="abschlüsse") == ["Ärztekammer Niedersachsen"]
        assert await names(client, q="100%") == ["Caritasverband Osnabrück"]
        assert await names(client, q="1_0") == []
        assert await names(client, q="göttingen") == []
        assert await names(client, q="göttingen", include_inactive="true") == ["Alter Verein Göttingen"]
        assert await names(client, field="arbeit", region="Leine-Weser", multiplier="true", q="kurse") == [
            "Volkshochschule Hannover"]
        listed = (await client.get("/api/v1/actors", params={"field": "arbeit", "limit": 1})).json()
        assert (listed["total"], len(listed["items"]), listed["offset"]) == (2, 1, 0)


async def test_filter_combinations_match_the_domain_rule(kafka_bootstrap, database_url):  # noqa: ANN001
    """60 random actors, every filter alone and in random combinations: the SQL answers what
    domain.matches says, in the directory's order."""
    settings = service_settings("actors", database_url=database_url, bootstrap=kafka_bootstrap)
    rng = random.Random(20261125)
    keys = sorted(districts())
    words = ["Verein", "Zentrum", "Café", "Ökumenisch", "Netzwerk", "Frauen", "Sprachpatenschaft", "Jobbrücke"]
    async with running_service(settings) as client:
        actors = []
        for number in range(60):
            actor = await register(
                client,
                name=f"{rng.choice(words)} {rng.choice(words)} {number}",
                description=" ".join(rng.sample(words, 3)),
                kind=rng.choice(domain.KINDS),
                districts=[] if number % 7 == 0 else rng.sample(keys, rng.randint(1, 3)),
                fields=rng.sample(list(FIELDS), rng.randint(1, 2)),
                is_multiplier=rng.random() < 0.3,
            )
            if number % 9 == 0:
                await client.delete(f"/api/v1/actors/{actor['id']}", headers=ADMIN)
                actor["active"] = False
            actors.append(actor)
        everyone = (await client.get("/api/v1/actors", params={"limit": 500, "include_inactive": "true"})).json()
        order = [item["id"] for item in everyone["items"]]
        assert sorted(order) == sorted(a["id"] for a in actors)

        options = {
            "field": [None, *FIELDS],
            "region": [None, HANNOVER, OSNABRUECK, "Weser-Ems", "Braunschweig", "Lüneburg", "Leine-Weser"],
            "kind": [None, "initiative", "kommune", "kirche"],
            "multiplier": [None, True, False],
            "q": [None, "verein", "OKUMENISCH", "café frauen", "zentrum 1"],
            "include_inactive": [False, True],
        }
        singles = [{name: value} for name, values in options.items() for value in values if value is not None]
        combinations = [
            {name: rng.choice(values) for name, values in options.items()} for _ in range(80)
        ]
        for chosen in itertools.chain(singles, combinations):
            params = {name: str(value).lower() if isinstance(value, bool) else value
                      for name, value in chosen.items() if value is not None}
            filters = directory.parse_filters(**{name: value for name, value in chosen.items() if value is not None})
            by_id = {a["id"]: a for a in actors}
            expected = [actor_id for actor_id in order if domain.matches(by_id[actor_id], filters)]
            response = (await client.get("/api/v1/actors", params={"limit": 500, **params})).json()
            assert [item["id"] for item in response["items"]] == expected, params
            assert response["total"] == len(expected), params


async def test_cursor_pages_are_stable_while_actors_are_added(kafka_bootstrap, database_url):  # noqa: ANN001
    settings = service_settings("actors", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        for letter in "BDFHJLNP":
            await register(client, name=f"Initiative {letter}")
        for _ in range(4):  # equal names: the id decides, also across a page boundary
            await register(client, name="Gleicher Name")

        async def page(**params) -> dict:  # noqa: ANN003
            response = await client.get("/api/v1/actors", params={"limit": 5, **params})
            assert response.status_code == 200, response.text
            return response.json()

        seen: list[str] = []
        current = await page()
        inserted_before_the_cursor: list[str] = []
        while True:
            assert current["total"] >= 12
            seen.extend(item["id"] for item in current["items"])
            if not current["next_cursor"]:
                break
            # between two requests, one actor lands before this position and one after it
            inserted_before_the_cursor.append((await register(client, name=f"Aaa Neu {len(seen)}"))["id"])
            await register(client, name=f"Zzz Neu {len(seen)}")
            current = await page(cursor=current["next_cursor"])

        assert len(seen) == len(set(seen)), "an actor appeared twice"
        everyone = [item["id"] for item in (await client.get("/api/v1/actors", params={"limit": 500})).json()["items"]]
        assert seen == [actor_id for actor_id in everyone if actor_id not in inserted_before_the_cursor]

        # and back again: prev_cursor pages walk the same order in reverse
        back: list[str] = []
        while current["prev_cursor"]:
            current = await page(cursor=current["prev_cursor"])
            back = [item["id"] for item in current["items"]] + back
            assert current["offset"] == everyone.index(back[0])
        assert back == everyone[: len(back)] and current["offset"] == 0


async def test_offset_pages_repeat_an_entry_when_one_is_added_which_cursors_avoid(kafka_bootstrap, sqlite_url):  # noqa: ANN001
    settings = service_settings("actors", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        for letter in "BCDE":
            await register(client, name=f"Initiative {letter}")
        first = (await client.get("/api/v1/actors", params={"limit": 2})).json()
        await register(client, name="Initiative A")
        by_offset = (await client.get("/api/v1/actors", params={"limit": 2, "offset": 2})).json()
        by_cursor = (await client.get("/api/v1/actors", params={"limit": 2, "cursor": first["next_cursor"]})).json()
        names_of = lambda page: [item["name"] for item in page["items"]]  # noqa: E731
        assert names_of(first) == ["Initiative B", "Initiative C"]
        assert names_of(by_offset) == ["Initiative C", "Initiative D"]  # C again: why the cursor exists
        assert names_of(by_cursor) == ["Initiative D", "Initiative E"]
        assert (by_cursor["total"], by_cursor["offset"], by_cursor["next_cursor"]) == (5, 3, None)

        for item in by_cursor["items"]:  # the rest goes away: the cursor then shows the last page there is
            await client.delete(f"/api/v1/actors/{item['id']}", headers=ADMIN)
        stale = (await client.get("/api/v1/actors", params={"limit": 2, "cursor": by_cursor["prev_cursor"]})).json()
        assert names_of(stale) == ["Initiative B", "Initiative C"]
        beyond = (await client.get("/api/v1/actors", params={"limit": 2, "cursor": first["next_cursor"]})).json()
        assert (names_of(beyond), beyond["total"], beyond["offset"]) == (["Initiative B", "Initiative C"], 3, 1)
        assert beyond["next_cursor"] is None and beyond["prev_cursor"]


async def test_who_else_works_on_this(kafka_bootstrap, database_url):  # noqa: ANN001
    settings = service_settings("actors", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        me = await register(client, name="Sprachcafé Linden", districts=[HANNOVER, GOETTINGEN], fields=["sprache"])
        expected = [
            await register(client, name="VHS Göttingen", districts=[GOETTINGEN], fields=["sprache", "arbeit"]),
            await register(client, name="Landesweite Sprachhotline", districts=[], fields=["sprache"]),
            await register(client, name="Region Hannover", districts=[HANNOVER, OSNABRUECK], fields=["sprache"]),
        ]
        await register(client, name="Jobcenter Hannover", districts=[HANNOVER], fields=["arbeit"])  # other field
        await register(client, name="Sprachkurs Osnabrück", districts=[OSNABRUECK], fields=["sprache"])  # elsewhere
        gone = await register(client, name="Alter Sprachtreff", districts=[HANNOVER], fields=["sprache"])
        await client.delete(f"/api/v1/actors/{gone['id']}", headers=ADMIN)
        statewide = expected[1]

        everyone = (await client.get("/api/v1/actors", params={"include_inactive": "true"})).json()["items"]
        with Session(client.app.state.runtime.engine) as session:
            total, others = directory.working_alongside(session, me)
            assert [o["name"] for o in others] == ["Landesweite Sprachhotline", "Region Hannover", "VHS Göttingen"]
            assert total == 3 and sorted(o["id"] for o in others) == sorted(a["id"] for a in expected)
            for actor in everyone:  # the SQL agrees with the rule for every actor's page
                total, others = directory.working_alongside(session, actor)
                assert sorted(o["id"] for o in others) == sorted(
                    o["id"] for o in everyone if domain.works_alongside(actor, o)), actor["name"]
            _, others = directory.working_alongside(session, statewide)
            assert {o["name"] for o in others} == {"Sprachcafé Linden", "VHS Göttingen", "Region Hannover",
                                                   "Sprachkurs Osnabrück"}
            assert len(directory.working_alongside(session, statewide, limit=2)[1]) == 2

        page = await client.get(f"/actors/{me['id']}")
        assert page.status_code == 200 and "Wer arbeitet hier noch daran?" in page.text
        for actor in expected:
            assert f'href="/actors/{actor["id"]}"' in page.text
        assert "Jobcenter Hannover" not in page.text and "Alter Sprachtreff" not in page.text


async def test_pages_answer_unknown_actors_and_bad_filters(kafka_bootstrap, sqlite_url):  # noqa: ANN001
    settings = service_settings("actors", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        missing = await client.get("/actors/unknown")
        assert missing.status_code == 404 and "Nicht gefunden" in missing.text
        bad = await client.get("/actors", params={"region": "Atlantis"})
        assert bad.status_code == 422 and "Ungültiger Filter" in bad.text and 'role="alert"' in bad.text
        assert (await client.get("/actors", params={"cursor": "kaputt"})).status_code == 422
        home = await client.get("/")
        assert home.status_code == 200 and "<h1>Akteurinnen und Akteure</h1>" in home.text
