"""Partner API keys: shown once, stored only as hashes, rotated without downtime, revoked at once."""

from sqlmodel import Session, select

from services.offers.models import PartnerKey
from tests.support.offers import OFFER, create_partner, register_actor
from tests.support.services import ADMIN, running_service, service_settings


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def test_rotation_keeps_old_keys_for_the_grace_period_and_revocation_is_immediate(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client, "actor-1")
        other = await create_partner(client, "actor-1")
        url = f"/api/v1/partners/{partner['id']}/offers/kurs-1"
        keys_url = f"/api/v1/partners/{partner['id']}/keys"
        first = partner["api_key"]

        with Session(client.app.state.runtime.engine) as session:
            stored = [key.key_hash for key in session.exec(select(PartnerKey))]
        assert first not in stored and all(len(digest) == 64 for digest in stored)

        assert (await client.post(keys_url, headers=bearer(other["api_key"]))).status_code == 403
        assert (await client.post(keys_url, params={"grace_hours": -1}, headers=ADMIN)).status_code == 422

        rotated = await client.post(keys_url, headers=bearer(first))
        assert rotated.status_code == 201
        second = rotated.json()["api_key"]
        assert second != first and rotated.json()["old_keys_expire_at"]
        assert (await client.put(url, json=OFFER, headers=bearer(first))).status_code == 201  # grace period
        assert (await client.put(url, json=OFFER, headers=bearer(second))).status_code == 200
        listed = (await client.get(keys_url, headers=bearer(second))).json()["items"]
        assert [(item["usable"], item["expires_at"] is not None) for item in listed] == [(True, True), (True, False)]

        immediate = await client.post(keys_url, params={"grace_hours": 0}, headers=bearer(second))
        third = immediate.json()["api_key"]
        for retired in (first, second):
            assert (await client.put(url, json=OFFER, headers=bearer(retired))).status_code == 401
        assert (await client.put(url, json=OFFER, headers=bearer(third))).status_code == 200

        third_id = immediate.json()["key_id"]
        assert (await client.delete(f"{keys_url}/{third_id}", headers=bearer(other["api_key"]))).status_code == 403
        assert (await client.delete(f"{keys_url}/{third_id}", headers=ADMIN)).status_code == 204
        assert (await client.put(url, json=OFFER, headers=bearer(third))).status_code == 401
        assert (await client.delete(f"{keys_url}/unknown", headers=ADMIN)).status_code == 404
