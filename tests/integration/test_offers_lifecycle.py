"""Offer lifecycle on the real broker: drafts, publishing, changed-field updates, withdrawal,
expiry, and the search filters and their errors."""

from datetime import timedelta

from npa.contracts import topics
from npa.contracts.envelope import decode
from npa.contracts.reference import today_in_lower_saxony
from services.offers import workers
from tests.support.offers import register_actor
from tests.support.services import ADMIN, eventually, read_topic, running_service, service_settings

TODAY = today_in_lower_saxony()
OFFER = {"title": "Sprachcafé am Nachmittag", "fields": ["sprache", "teilhabe"], "district": "03355",
         "languages": ["de", "uk"], "costs": "kostenlos", "starts_on": str(TODAY),
         "ends_on": str(TODAY + timedelta(days=30)), "provider_actor_id": "actor-1"}


async def offer_events(bootstrap: str, expected: int, offer_id: str) -> list[tuple[str, int, list[str]]]:
    """One offer's events in order (its key keeps them on one partition)."""
    records = await read_topic(bootstrap, topics.OFFERS, expected=expected)
    events = [decode(record.value) for record in records]
    return [(e.type.rsplit(".", 1)[1], e.data["version"], e.data["changed_fields"])
            for e in events if e.subject == offer_id]


async def known_actor(client, bootstrap: str) -> None:  # noqa: ANN001
    await register_actor(bootstrap, "actor-1")

    async def arrived():
        probe = await client.post("/api/v1/offers", params={"draft": True}, headers=ADMIN, json=OFFER)
        return probe.status_code == 201 and probe.json()

    return await eventually(arrived)


async def test_draft_publish_update_withdraw_and_expire(kafka_bootstrap, database_url):
    settings = service_settings("offers", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        draft = await known_actor(client, kafka_bootstrap)
        assert (draft["status"], draft["version"]) == ("draft", 1)
        offer_url = f"/api/v1/offers/{draft['id']}"
        assert (await client.get(offer_url)).status_code == 404  # drafts are for editors only
        assert (await client.get(offer_url, headers=ADMIN)).json()["status"] == "draft"
        assert (await client.get("/api/v1/offers", params={"status": "draft"})).status_code == 403
        edited = await client.patch(offer_url, headers=ADMIN, json={"summary": "jeden Dienstag"})
        assert (edited.json()["status"], edited.json()["version"]) == ("draft", 1)

        published = await client.post(f"{offer_url}/publish", headers=ADMIN)
        assert (published.json()["status"], published.json()["version"]) == ("published", 1)
        assert (await client.post(f"{offer_url}/publish", headers=ADMIN)).json()["version"] == 1

        unchanged = await client.patch(offer_url, headers=ADMIN, json={"title": OFFER["title"]})
        assert unchanged.json()["version"] == 1
        moved = await client.patch(offer_url, headers=ADMIN, json={"district": "03241", "languages": ["de", "ar"]})
        assert moved.status_code == 200 and moved.json()["version"] == 2
        bad = await client.patch(offer_url, headers=ADMIN, json={"district": "00000", "ends_on": "2000-01-01"})
        assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("body", "district"), ("body", "ends_on")}
        unknown = await client.patch(offer_url, headers=ADMIN, json={"colour": "blau"})
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "colour"]

        assert (await client.delete(offer_url, headers=ADMIN)).status_code == 204
        assert (await client.delete(offer_url, headers=ADMIN)).status_code == 204
        assert (await client.patch(offer_url, headers=ADMIN, json={"title": "Neu"})).status_code == 409

        assert await offer_events(kafka_bootstrap, 3, draft["id"]) == [
            ("published", 1, ["status"]),
            ("updated", 2, ["district", "languages"]),
            ("withdrawn", 3, ["status"]),
        ]

        # expiry: an offer ending today is still on; the day after, the scheduler expires it once
        today = today_in_lower_saxony()  # not TODAY: the module may have loaded before midnight
        ending = await client.post("/api/v1/offers", headers=ADMIN, json={**OFFER, "ends_on": str(today)})
        assert ending.status_code == 201
        runtime = client.app.state.runtime
        assert workers.expire_once(runtime, today=today) == 0
        assert workers.expire_once(runtime, today=today + timedelta(days=1)) == 1
        assert workers.expire_once(runtime, today=today + timedelta(days=1)) == 0
        expired = (await client.get(f"/api/v1/offers/{ending.json()['id']}")).json()
        assert (expired["status"], expired["version"]) == ("expired", 2)
        events = await offer_events(kafka_bootstrap, 5, ending.json()["id"])
        assert [e[:2] for e in events] == [("published", 1), ("expired", 2)]


async def test_an_ended_offer_cannot_be_published(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await known_actor(client, kafka_bootstrap)
        past = {**OFFER, "starts_on": "2020-01-01", "ends_on": str(TODAY - timedelta(days=1))}
        response = await client.post("/api/v1/offers", headers=ADMIN, json=past)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "ends_on"]


async def test_search_filters_and_their_errors(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await known_actor(client, kafka_bootstrap)
        for body in [
            {**OFFER, "title": "Frauencafé", "women_only": True, "target_groups": ["frauen"], "languages": ["ar"]},
            {**OFFER, "title": "Bewerbungstraining", "fields": ["arbeit"], "costs": "20 € pro Termin",
             "district": "03101"},
            {**OFFER, "title": "Anerkennungsberatung", "fields": ["arbeit"], "district": None, "costs": "0,00 €"},
        ]:
            assert (await client.post("/api/v1/offers", headers=ADMIN, json=body)).status_code == 201

        async def titles(**params) -> list[str]:
            response = await client.get("/api/v1/offers", params=params)
            assert response.status_code == 200, response.text
            return sorted(item["title"] for item in response.json()["items"])

        assert await titles(women_only=True) == ["Frauencafé"]
        assert await titles(free=True, field="arbeit") == ["Anerkennungsberatung"]
        assert await titles(free=False) == ["Bewerbungstraining"]
        assert await titles(language="ar") == ["Frauencafé"]
        assert await titles(target_group="frauen") == ["Frauencafé"]
        assert await titles(region="Braunschweig", field="arbeit") == ["Anerkennungsberatung", "Bewerbungstraining"]
        assert await titles(region="03241") == ["Anerkennungsberatung"]  # state-wide matches every district
        assert await titles(q="BEWERBUNG") == ["Bewerbungstraining"]
        for name, value in [("field", "kochen"), ("region", "Atlantis"), ("language", "klingonisch"),
                            ("target_group", "hunde"), ("status", "archiviert"), ("limit", "0")]:
            response = await client.get("/api/v1/offers", params={name: value})
            assert response.status_code == 422, name
            assert response.json()["detail"][0]["loc"] == ["query", name]
