"""Partners are who they say on the bus (ADR 0013): against the real broker, a message for
partner B's offer that B did not sign is parked on `.dlq` with its reason, B's offer unchanged."""

from datetime import timedelta

from npa.contracts import topics
from npa.contracts.envelope import decode, encode
from npa.contracts.events import partner_offers as partner_events
from npa.contracts.signatures import SigningKey, public_key_text
from npa.partner_client.client import deleted, upserted
from tests.support.offers import OFFER, bearer, create_partner, register_actor, register_signing_key
from tests.support.services import ADMIN, eventually, produce, read_topic, running_service, service_settings

EXTERNAL_ID = "b-owned-1"


async def test_forged_unsigned_altered_revoked_and_replayed_messages_are_parked(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner_a = await create_partner(client, "actor-1")
        partner_b = await create_partner(client, "actor-1")
        b_id, key = partner_b["id"], partner_events.key_of(partner_b["id"], EXTERNAL_ID).encode()

        async def send(event) -> None:  # noqa: ANN001
            await produce(kafka_bootstrap, topics.PARTNER_OFFERS, encode(event), key=key)

        original = partner_b["signing_key"].sign(upserted(b_id, EXTERNAL_ID, OFFER))
        await send(original)

        async def b_offer():  # noqa: ANN202
            listing = (await client.get("/api/v1/offers", params={"status": "published"})).json()
            return next((item for item in listing["items"] if item["external_id"] == EXTERNAL_ID), None)

        offer = await eventually(b_offer)
        assert offer["partner_id"] == b_id and offer["title"] == OFFER["title"]

        revoked_key = await register_signing_key(client, b_id)
        listed = (await client.get(f"/api/v1/partners/{b_id}/signing-keys", headers=ADMIN)).json()["items"]
        assert {item["key_id"] for item in listed} == {partner_b["signing_key"].key_id, revoked_key.key_id}
        assert (await client.delete(f"/api/v1/partners/{b_id}/signing-keys/{revoked_key.key_id}",
                                    headers=ADMIN)).status_code == 204

        rewritten = {**OFFER, "title": "Übernommen von A"}
        forged = [
            partner_a["signing_key"].sign(deleted(b_id, EXTERNAL_ID)),  # A signs for B's offer
            deleted(b_id, EXTERNAL_ID),  # unsigned
            partner_b["signing_key"].sign(upserted(b_id, EXTERNAL_ID, OFFER)).model_copy(  # altered after signing
                update={"data": {"partner_id": b_id, "external_id": EXTERNAL_ID, "offer": rewritten}}),
            revoked_key.sign(upserted(b_id, EXTERNAL_ID, rewritten)),  # a revoked key
            SigningKey.generate().sign(upserted(b_id, EXTERNAL_ID, rewritten)),  # a key nobody registered
        ]
        old = upserted(b_id, EXTERNAL_ID, rewritten)  # captured long ago: signed before the replay window
        forged.append(partner_b["signing_key"].sign(old.model_copy(update={"time": old.time - timedelta(hours=73)})))
        for event in forged:
            await send(event)
        await send(original)  # an exact replay: a repeat for the inbox, nothing changes
        final = partner_b["signing_key"].sign(upserted(b_id, EXTERNAL_ID, {**OFFER, "title": "Deutschkurs A2"}))
        await send(final)  # same key, same partition: applied after all the above

        async def b_updated():  # noqa: ANN202
            current = await b_offer()
            return current if current and current["title"] == "Deutschkurs A2" else None

        updated = await eventually(b_updated)
        assert updated["id"] == offer["id"] and updated["status"] == "published"

        parked = await read_topic(kafka_bootstrap, topics.dead_letter(topics.PARTNER_OFFERS), expected=len(forged))
        assert len(parked) == len(forged)
        reasons = {decode(record.value).id: dict(record.headers)["npa-dlq-reason"].decode() for record in parked}
        expected = [
            f"npakeyid: key {partner_a['signing_key'].key_id} belongs to another partner, not to data.partner_id "
            f"{b_id!r}",
            "npasignature: missing; messages on the partner topic must be signed",
            f"npasignature: does not verify with key {partner_b['signing_key'].key_id}",
            f"npakeyid: key {revoked_key.key_id} was revoked at",
            "npakeyid: unknown signing key",
            "time: signed at",
        ]
        for event, reason in zip(forged, expected, strict=True):
            assert reason in reasons[event.id], (reason, reasons[event.id])
        assert "older than the replay window of 72 h" in reasons[forged[-1].id]

        history = [decode(record.value) for record in await read_topic(kafka_bootstrap, topics.OFFERS, expected=3,
                                                                         timeout=2)]
        mine = [(event.type, event.data["version"], event.data["title"]) for event in history
                if event.subject == offer["id"]]
        assert mine == [("de.npa.offer.published", 1, OFFER["title"]),
                        ("de.npa.offer.updated", 2, "Deutschkurs A2")], "no forged change may reach the offer"


async def test_signing_keys_are_registered_listed_and_revoked_by_the_partner_or_an_admin(kafka_bootstrap,
                                                                                          sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner, other = await create_partner(client, "actor-1"), await create_partner(client, "actor-1")
        url = f"/api/v1/partners/{partner['id']}/signing-keys"
        key = SigningKey.generate()
        body = {"public_key": public_key_text(key.public_key)}

        assert (await client.post(url, json=body)).status_code == 401
        assert (await client.post(url, json=body, headers=bearer(other))).status_code == 403
        bad = await client.post(url, json={"public_key": "A" * 44}, headers=bearer(partner))
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "public_key"]
        small_order = {"public_key": public_key_text(b"\x01" + b"\0" * 31)}  # no signer's key; nothing would verify
        bad = await client.post(url, json=small_order, headers=bearer(partner))
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "public_key"]
        assert "not a usable Ed25519 public key" in bad.json()["detail"][0]["msg"]
        listed = (await client.get(url, headers=bearer(partner))).json()["items"]
        assert small_order["public_key"] not in [item["public_key"] for item in listed]
        created = await client.post(url, json=body, headers=bearer(partner))
        assert created.status_code == 201 and created.json()["key_id"] == key.key_id
        assert (await client.post(url, json=body, headers=ADMIN)).status_code == 409
        assert (await client.post(f"/api/v1/partners/{other['id']}/signing-keys", json=body,
                                  headers=ADMIN)).status_code == 409  # one key, one partner
        listed = (await client.get(url, headers=bearer(partner))).json()["items"]
        assert [(item["key_id"], item["usable"]) for item in listed][-1] == (key.key_id, True)
        assert (await client.delete(f"{url}/{key.key_id}", headers=bearer(other))).status_code == 403
        assert (await client.delete(f"{url}/{key.key_id}", headers=bearer(partner))).status_code == 204
        assert (await client.delete(f"/api/v1/partners/{other['id']}/signing-keys/{key.key_id}",
                                    headers=ADMIN)).status_code == 404
        listed = (await client.get(url, headers=ADMIN)).json()["items"]
        assert [item["usable"] for item in listed if item["key_id"] == key.key_id] == [False]
        assert (await client.get("/api/v1/partners/nobody/signing-keys", headers=ADMIN)).status_code == 404
