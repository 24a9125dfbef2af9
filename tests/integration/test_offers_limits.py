"""Request body limits and the per-partner rate limit of the offers service, with real parts."""

import asyncio
import json

import httpx
import uvicorn

from npa.contracts import topics
from services.offers.api.rate_limit import TokenBucketLimiter
from tests.integration.test_partner_import import JSONL, jsonl
from tests.unit.test_partner_import_rate_limit import Clock
from tests.support.offers import OFFER, bearer, create_partner, register_actor
from tests.support.processes import free_port, wait_for_port
from tests.support.services import ADMIN, read_topic, running_service, service_settings

MiB = 1024 * 1024
TOO_LARGE = {"detail": "request body larger than 1 MiB"}


def big_offer(size: int) -> bytes:
    return json.dumps({**OFFER, "description": "x" * size}).encode()


async def chunks(payload: bytes, size: int = 64 * 1024):
    for start in range(0, len(payload), size):
        yield payload[start:start + size]


async def test_bodies_above_1_mib_are_refused_except_for_the_import(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        url = f"/api/v1/partners/{partner['id']}/offers/kurs-1"
        headers = {"Content-Type": "application/json", **bearer(partner)}
        payload = big_offer(int(1.1 * MiB))

        declared = await client.put(url, content=payload, headers=headers)
        assert declared.status_code == 413 and declared.json() == TOO_LARGE
        streamed = await client.put(url, content=chunks(payload), headers=headers)
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413 and streamed.json() == TOO_LARGE
        for path in ("/api/v1/offers", "/api/v1/partners", "/api/v1/examples"):
            response = await client.post(path, content=chunks(payload), headers={**ADMIN, **headers})
            assert (response.status_code, response.json()) == (413, TOO_LARGE), path
        assert (await client.get(f"/api/v1/offers?q={'x' * 100}")).status_code == 200

        # 400 rows of 4 KB each: 1.6 MiB, too large for any other route, fine for the import
        rows = jsonl(*({"external_id": f"kurs-{n}", "offer": {**OFFER, "description": "Ä" * 2000}}
                       for n in range(400)))
        assert 1.5 * MiB < len(rows) < 2 * MiB
        imported = await client.post(f"/api/v1/partners/{partner['id']}/offers:import", content=chunks(rows),
                                     headers={**JSONL, **ADMIN})
        assert imported.status_code == 200, imported.text
        assert imported.json()["summary"]["created"] == 400
        huge = b" " * (16 * MiB + 1)
        refused = await client.post(f"/api/v1/partners/{partner['id']}/offers:import", content=huge,
                                    headers={**JSONL, **ADMIN})
        assert refused.status_code == 413
        assert refused.json() == {"detail": "request body larger than 16 MiB"}

        assert (await client.put(url.replace("kurs-1", "klein"), content=big_offer(1000), headers=headers)
                ).status_code == 201
        records = await read_topic(kafka_bootstrap, topics.OFFERS, expected=402, timeout=3)
        assert len(records) == 401, "a refused body must change nothing"


async def test_chunked_upload_over_real_http_is_cut_at_1_mib(kafka_bootstrap, sqlite_url):
    """Through uvicorn on a loopback socket: a declared or a chunked body above 1 MiB gets 413."""
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, lifespan="off",
                                               log_level="warning"))
        serving = asyncio.create_task(server.serve())
        try:
            await asyncio.to_thread(wait_for_port, port)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                payload = big_offer(int(1.1 * MiB))
                response = await http.post("/api/v1/offers", content=chunks(payload),
                                           headers={**ADMIN, "Content-Type": "application/json"})
                assert response.request.headers["transfer-encoding"] == "chunked"
                assert (response.status_code, response.json()) == (413, TOO_LARGE)
                response = await http.post("/api/v1/offers", content=payload,
                                           headers={**ADMIN, "Content-Type": "application/json"})
                assert response.request.headers["content-length"] == str(len(payload))
                assert (response.status_code, response.json()) == (413, TOO_LARGE)
                small = await http.post("/api/v1/offers", json=OFFER, headers=ADMIN)
                assert small.status_code == 201, small.text
        finally:
            server.should_exit = True
            await serving


def hand_clocked_limiter(client: httpx.AsyncClient, rate_per_minute: float, burst: float) -> Clock:
    """The app's limiter on a clock the test moves: on a loaded machine slow requests refilled
    the bucket between the requests that had to find it empty."""
    clock = Clock()
    client.app.state.partner_rate_limiter = TokenBucketLimiter(rate_per_minute, burst, clock=clock)
    return clock


async def test_partner_writes_are_rate_limited_per_partner(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        clock = hand_clocked_limiter(client, rate_per_minute=60, burst=3)  # one token per second
        await register_actor(kafka_bootstrap, "actor-1")
        partner_a, partner_b = await create_partner(client), await create_partner(client)
        url_a = f"/api/v1/partners/{partner_a['id']}/offers"

        statuses = [(await client.put(f"{url_a}/kurs-{n}", json=OFFER, headers=bearer(partner_a))).status_code
                    for n in range(3)]
        assert statuses == [201, 201, 201]
        limited = await client.delete(f"{url_a}/kurs-0", headers=bearer(partner_a))
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
        assert "retry in 1 s" in limited.json()["detail"]

        for n in range(5):  # the admin token and other partners are not limited by A's bucket
            assert (await client.put(f"{url_a}/admin-{n}", json=OFFER, headers=ADMIN)).status_code == 201
        url_b = f"/api/v1/partners/{partner_b['id']}/offers"
        assert (await client.put(f"{url_b}/kurs-1", json=OFFER, headers=bearer(partner_b))).status_code == 201
        assert (await client.get(f"/api/v1/partners/{partner_a['id']}/keys", headers=bearer(partner_a))
                ).status_code == 200

        clock.now += 3  # the bucket is full again: 3 tokens
        rows = jsonl(*({"external_id": f"bulk-{n}", "offer": OFFER} for n in range(190)))
        imported = await client.post(f"{url_a}:import", content=rows, headers={**JSONL, **bearer(partner_a)})
        assert imported.status_code == 200  # 1 + 190/100 = 2.9 tokens of 3
        after_import = await client.put(f"{url_a}/kurs-9", json=OFFER, headers=bearer(partner_a))
        assert after_import.status_code == 429 and after_import.headers["Retry-After"] == "1"

        clock.now += 3
        big = jsonl(*({"external_id": f"bulk-{n}", "offer": OFFER} for n in range(300)))
        refused = await client.post(f"{url_a}:import", content=big, headers={**JSONL, **bearer(partner_a)})
        assert refused.status_code == 429  # 1 + 3 tokens: the rows do not fit after the call's own token
        assert refused.headers["Retry-After"] == "1"


async def test_the_limit_is_read_from_the_environment(kafka_bootstrap, sqlite_url, monkeypatch):
    monkeypatch.setenv("NPA_OFFERS_PARTNER_RATE_PER_MINUTE", "1")
    monkeypatch.setenv("NPA_OFFERS_PARTNER_BURST", "1")
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        url = f"/api/v1/partners/{partner['id']}/offers/kurs-1"
        assert (await client.put(url, json=OFFER, headers=bearer(partner))).status_code == 201
        limited = await client.put(url, json=OFFER, headers=bearer(partner))
        assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60  # a token a minute
        limiter = client.app.state.partner_rate_limiter
        assert (limiter.rate_per_minute, limiter.burst) == (1, 1)


async def test_key_rotation_works_while_rate_limited_and_keys_share_the_bucket(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        clock = hand_clocked_limiter(client, rate_per_minute=30, burst=2)  # a token every two seconds
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        url = f"/api/v1/partners/{partner['id']}/offers/kurs-1"
        old_key = bearer(partner)
        assert [(await client.put(url, json=OFFER, headers=old_key)).status_code for _ in range(3)] == [201, 200, 429]

        rotated = await client.post(f"/api/v1/partners/{partner['id']}/keys", headers=old_key)
        assert rotated.status_code == 201, "rotating a key is not a rate-limited write"
        new_key = {"Authorization": f"Bearer {rotated.json()['api_key']}"}
        limited = await client.put(url, json=OFFER, headers=new_key)
        assert limited.status_code == 429, "a new key must not reset the partner's bucket"

        clock.now += 2 * int(limited.headers["Retry-After"])  # the bucket full again: two tokens
        assert (await client.put(url, json=OFFER, headers=new_key)).status_code == 200
        assert (await client.put(url, json=OFFER, headers=old_key)).status_code == 200  # still in its grace period
        assert (await client.put(url, json=OFFER, headers=old_key)).status_code == 429

