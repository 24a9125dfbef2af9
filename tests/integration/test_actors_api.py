"""Actors service on the real broker: registry API, its events, its errors, and the service defaults."""

from npa.contracts import topics
from npa.contracts.envelope import decode
from tests.support.services import ADMIN, read_topic, running_service, service_settings

ACTOR = {"name": "Migrantenverein Göttingen", "kind": "migrantenorganisation", "districts": ["03159"],
         "fields": ["teilhabe", "engagement"], "email": "info@verein.example", "is_multiplier": True}


async def test_register_update_deactivate_publish_full_state_in_order(kafka_bootstrap, database_url):
    settings = service_settings("actors", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        created = await client.post("/api/v1/actors", json=ACTOR, headers=ADMIN)
        assert created.status_code == 201, created.text
        actor_id = created.json()["id"]
        unchanged = await client.patch(f"/api/v1/actors/{actor_id}", json={"name": ACTOR["name"]}, headers=ADMIN)
        assert unchanged.json()["version"] == 1
        updated = await client.patch(f"/api/v1/actors/{actor_id}", json={"districts": ["03159", "03155"]}, headers=ADMIN)
        assert updated.status_code == 200, updated.text
        assert updated.json()["version"] == 2
        assert (await client.delete(f"/api/v1/actors/{actor_id}", headers=ADMIN)).status_code == 204

        events = [decode(r.value) for r in await read_topic(kafka_bootstrap, topics.ACTORS, expected=3)]
        assert [(e.type, e.data["version"]) for e in events] == [
            ("de.npa.actor.registered", 1), ("de.npa.actor.updated", 2), ("de.npa.actor.deactivated", 3)]
        assert all(e.subject == actor_id for e in events)
        assert events[1].data["districts"] == ["03155", "03159"]
        assert events[2].data["active"] is False

        assert (await client.get("/api/v1/actors", params={"field": "teilhabe"})).json()["total"] == 0
        listed = await client.get("/api/v1/actors", params={"field": "teilhabe", "include_inactive": True})
        assert listed.json()["total"] == 1


async def test_bad_input_names_the_field_and_changes_nothing(kafka_bootstrap, sqlite_url):
    settings = service_settings("actors", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        cases = {
            "districts": {**ACTOR, "districts": ["99999"]},
            "fields": {**ACTOR, "fields": ["kochen"]},
            "kind": {**ACTOR, "kind": "verein"},
            "email": {**ACTOR, "email": "keine-mail"},
            "postcode": {**ACTOR, "postcode": "3015"},
        }
        for field, body in cases.items():
            response = await client.post("/api/v1/actors", json=body, headers=ADMIN)
            assert response.status_code == 422, field
            assert ["body", field] in [e["loc"][:2] for e in response.json()["detail"]], response.text
        assert (await client.post("/api/v1/actors", json=ACTOR)).status_code == 401
        wrong = {"Authorization": "Bearer not-the-admin"}
        assert (await client.post("/api/v1/actors", json=ACTOR, headers=wrong)).status_code == 403
        region = await client.get("/api/v1/actors", params={"region": "Atlantis"})
        assert region.status_code == 422 and region.json()["detail"][0]["loc"] == ["query", "region"]
        assert (await client.get("/api/v1/actors/unknown")).status_code == 404
        assert (await client.get("/api/v1/actors")).json()["total"] == 0
        assert await read_topic(kafka_bootstrap, topics.ACTORS, expected=1, timeout=1) == []


async def test_service_defaults(kafka_bootstrap, sqlite_url):
    settings = service_settings("actors", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": "actors"}
        assert (await client.get("/readyz")).json() == {"ready": True, "database": "ok", "broker": "ok"}
        await client.post("/api/v1/actors", json=ACTOR, headers=ADMIN)
        metrics = (await client.get("/metrics")).text
        assert "npa_outbox_pending " in metrics and "process_cpu_seconds_total" in metrics
        assert 'npa_http_request_duration_seconds_count{method="POST",route="/api/v1/actors",status="201"}' in metrics
        openapi = (await client.get("/openapi.json")).json()
        assert "/api/v1/actors/{actor_id}" in openapi["paths"]
        asyncapi = (await client.get("/asyncapi.json")).json()
        assert "npa.actors.v1" in asyncapi["channels"] and "ActorEvent" in asyncapi["components"]["schemas"]
        assert (await client.get("/actors")).status_code == 200
