"""The request body limit middleware (npa/infrastructure/body_limit.py) around a real ASGI app."""

import httpx
import pytest
from fastapi import FastAPI, Request

from npa.infrastructure.body_limit import MiB, BodyLimitMiddleware
from services.offers.api.partner_imports import IMPORT_LIMIT, IMPORT_PATH


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/things")
    async def things(request: Request) -> dict:
        return {"size": len(await request.body())}

    @app.put("/api/v1/things/{thing}")
    def typed(thing: str, body: dict) -> dict:  # FastAPI reads and parses the body itself
        return {"keys": len(body)}

    @app.post("/api/v1/partners/{partner}/offers:import")
    async def bulk(partner: str, request: Request) -> dict:
        return {"size": len(await request.body())}

    app.add_middleware(BodyLimitMiddleware, overrides=[(IMPORT_PATH, IMPORT_LIMIT)])
    return app


async def chunks(size: int, chunk: int = 100_000):
    sent = 0
    while sent < size:
        yield b"x" * min(chunk, size - sent)
        sent += chunk


@pytest.fixture
async def client():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=echo_app()), base_url="http://test") as http:
        yield http


async def test_declared_and_streamed_bodies_over_the_limit_get_413(client):
    for content in (b"x" * (MiB + 1), chunks(MiB + 1)):
        response = await client.post("/api/v1/things", content=content)
        assert response.status_code == 413
        assert response.json() == {"detail": "request body larger than 1 MiB"}
        assert response.headers["connection"] == "close"
    assert (await client.post("/api/v1/things", content=chunks(MiB))).json() == {"size": MiB}
    assert (await client.post("/api/v1/things", content=b"x" * MiB)).json() == {"size": MiB}


async def test_a_route_that_parses_its_own_body_answers_413_not_400(client):
    big = b'{"a": "' + b"x" * MiB + b'"}'
    response = await client.put("/api/v1/things/1", content=chunks(len(big)))
    assert (response.status_code, response.json()) == (413, {"detail": "request body larger than 1 MiB"})
    assert (await client.put("/api/v1/things/1", json={"a": 1})).json() == {"keys": 1}


async def test_the_import_route_accepts_16_mib(client):
    url = "/api/v1/partners/p-1/offers:import"
    assert (await client.post(url, content=chunks(16 * MiB))).json() == {"size": 16 * MiB}
    for content in (b"x" * (16 * MiB + 1), chunks(16 * MiB + 1)):
        response = await client.post(url, content=content)
        assert (response.status_code, response.json()) == (413, {"detail": "request body larger than 16 MiB"})
    response = await client.post("/api/v1/partners/p-1/offers:import/x", content=b"x" * (2 * MiB))
    assert response.status_code == 413, "only the import path itself gets the larger limit"
