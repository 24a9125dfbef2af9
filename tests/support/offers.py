"""Helpers for tests of the offers service: actors announced on the bus, partners, keys."""

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, encode, new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.signatures import SigningKey, public_key_text
from tests.support.services import ADMIN, eventually, produce

OFFER = {"title": "Deutschkurs A1 für Frauen", "fields": ["sprache"], "district": "03241",
         "languages": ["de", "ar"], "women_only": True, "childcare": True}


async def register_actor(bootstrap: str, actor_id: str, *, event_type: str = actor_events.REGISTERED,
                         version: int = 1, active: bool = True, name: str = "VHS Hannover") -> None:
    """Announce an actor on `npa.actors.v1`, as the actors service would."""
    state = actor_events.ActorState(id=actor_id, version=version, name=name, kind="bildungstraeger",
                                    districts=["03241"], fields=["sprache"], active=active)
    event = new_event(source=actor_events.SOURCE, type=event_type, subject=actor_id,
                      data=state.model_dump(mode="json"))
    await produce(bootstrap, topics.ACTORS, encode(event), key=actor_id.encode())


async def create_partner(client, actor_id: str = "actor-1") -> dict:  # noqa: ANN001
    """Create a partner once the actor has reached the offers service (asynchronously), with a
    registered signing key: `partner["signing_key"]` signs its messages on the bus."""

    async def attempt():  # noqa: ANN202
        response = await client.post("/api/v1/partners", json={"name": "Kursdatenbank", "actor_id": actor_id},
                                     headers=ADMIN)
        return response.json() if response.status_code == 201 else None

    partner = await eventually(attempt)
    partner["signing_key"] = await register_signing_key(client, partner["id"])
    return partner


async def register_signing_key(client, partner_id: str) -> SigningKey:  # noqa: ANN001
    key = SigningKey.generate()
    response = await client.post(f"/api/v1/partners/{partner_id}/signing-keys", headers=ADMIN,
                                 json={"public_key": public_key_text(key.public_key)})
    assert response.status_code == 201, response.text
    return key


def signed(partner: dict, event: CloudEvent) -> CloudEvent:
    return partner["signing_key"].sign(event)


def bearer(partner: dict) -> dict:
    return {"Authorization": f"Bearer {partner['api_key']}"}
