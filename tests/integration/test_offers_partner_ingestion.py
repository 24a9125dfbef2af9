"""Offers service against the real broker and real databases: partner REST and Kafka ingestion."""


from prometheus_client import REGISTRY

from npa.contracts import topics
from npa.contracts.envelope import decode, encode, new_event
from npa.contracts.events import partner_offers as partner_events
from tests.support.offers import OFFER, create_partner, register_actor, signed
from tests.support.services import ADMIN, eventually, produce, read_topic, running_service, service_settings



async def test_partner_put_publishes_once_and_rejects_bad_input(kafka_bootstrap, database_url):
    settings = service_settings("offers", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client, "actor-1")
        key = {"Authorization": f"Bearer {partner['api_key']}"}
        url = f"/api/v1/partners/{partner['id']}/offers/kurs-17"

        first = await client.put(url, json=OFFER, headers=key)
        assert first.status_code == 201, first.text
        offer = first.json()
        assert offer["status"] == "published" and offer["provider_actor_id"] == "actor-1"

        again = await client.put(url, json=OFFER, headers=key)
        assert again.status_code == 200 and again.json()["result"] == "unchanged"

        bad = await client.put(url, json={**OFFER, "district": "12345", "fields": ["kochen"]}, headers=key)
        assert bad.status_code == 422
        assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("body", "district"), ("body", "fields")}

        records = await read_topic(kafka_bootstrap, topics.OFFERS, expected=2, timeout=1.5)
        assert len(records) == 1, "the identical PUT and the rejected PUT must publish nothing"
        event = decode(records[0].value)
        assert event.type == "de.npa.offer.published"
        assert records[0].key == offer["id"].encode() == event.subject.encode()
        assert event.data["version"] == 1 and event.data["district"] == "03241"

        assert (await client.delete(url, headers=key)).status_code == 204
        records = await read_topic(kafka_bootstrap, topics.OFFERS, expected=2)
        withdrawn = decode(records[1].value)
        assert (withdrawn.type, withdrawn.data["version"]) == ("de.npa.offer.withdrawn", 2)
        assert (await client.get(f"/api/v1/offers/{offer['id']}")).json()["status"] == "withdrawn"


async def test_a_partner_cannot_touch_another_partners_offers(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner_a = await create_partner(client, "actor-1")
        partner_b = await create_partner(client, "actor-1")
        key_b = {"Authorization": f"Bearer {partner_b['api_key']}"}
        url_a = f"/api/v1/partners/{partner_a['id']}/offers/kurs-1"
        assert (await client.put(url_a, json=OFFER, headers=key_b)).status_code == 403
        assert (await client.put(url_a, json=OFFER)).status_code == 401
        assert (await client.put(url_a, json=OFFER, headers={"Authorization": "Bearer npa_wrong"})).status_code == 401
        assert (await client.post("/api/v1/partners", json={"name": "Kursdatenbank", "actor_id": "nobody"},
                                  headers=ADMIN)).json()["detail"][0]["loc"] == ["body", "actor_id"]


async def test_kafka_ingestion_parks_poison_messages_and_goes_on(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client, "actor-1")
        partner_key = partner_events.key_of(partner["id"], "ext-1").encode()
        # the counter is process-wide: other tests in this run may have parked partner messages
        parked_before = REGISTRY.get_sample_value("npa_dlq_messages_total", {"topic": topics.PARTNER_OFFERS}) or 0.0

        def upsert(offer: dict, partner_id: str = partner["id"]) -> bytes:
            data = {"partner_id": partner_id, "external_id": "ext-1", "offer": offer}
            return encode(signed(partner, new_event(source=partner_events.source_of(partner_id),
                                                    type=partner_events.UPSERTED, subject=f"{partner_id}:ext-1",
                                                    data=data)))

        await produce(kafka_bootstrap, topics.PARTNER_OFFERS, b"{this is not json", key=partner_key)
        await produce(kafka_bootstrap, topics.PARTNER_OFFERS, upsert({**OFFER, "district": "00000"}), key=partner_key)
        await produce(kafka_bootstrap, topics.PARTNER_OFFERS, upsert(OFFER, partner_id="intruder"), key=b"intruder:ext-1")
        await produce(kafka_bootstrap, topics.PARTNER_OFFERS, upsert(OFFER), key=partner_key)

        async def offer_arrived():
            listing = (await client.get("/api/v1/offers", params={"field": "sprache"})).json()
            return listing["total"] == 1 and listing["items"][0]

        offer = await eventually(offer_arrived)
        assert offer["external_id"] == "ext-1" and offer["partner_id"] == partner["id"]

        dead = await read_topic(kafka_bootstrap, topics.dead_letter(topics.PARTNER_OFFERS), expected=3)
        by_reason = {dict(record.headers)["npa-dlq-reason"].decode(): record for record in dead}
        reasons = " | ".join(by_reason)
        assert "body is not JSON" in reasons
        assert "data.offer.district" in reasons and "unknown district" in reasons
        assert "belongs to another partner, not to data.partner_id 'intruder'" in reasons  # signed by ours
        not_json = next(record for reason, record in by_reason.items() if "body is not JSON" in reason)
        assert not_json.value == b"{this is not json" and not_json.key == partner_key
        assert dict(not_json.headers)["npa-dlq-origin-topic"] == topics.PARTNER_OFFERS.encode()

        metrics = (await client.get("/metrics")).text
        assert f'npa_dlq_messages_total{{topic="npa.partner.offers.v1"}} {parked_before + 3:.1f}' in metrics
