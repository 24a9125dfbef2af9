"""Events on `npa.actors.v1`: the actor registry's full state per change."""

from pydantic import BaseModel

from npa.contracts.envelope import CloudEvent
from npa.contracts.text import SingleLine

SOURCE = "/services/actors"
REGISTERED = "de.npa.actor.registered"
UPDATED = "de.npa.actor.updated"
DEACTIVATED = "de.npa.actor.deactivated"
TYPES = (REGISTERED, UPDATED, DEACTIVATED)


class ActorState(BaseModel):
    """`data` of every actor event. Contact e-mail is an organisation's public address."""

    id: str
    version: int
    name: SingleLine
    kind: str
    districts: list[str]
    fields: list[str]
    description: str = ""
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    postcode: str | None = None
    is_multiplier: bool = False
    active: bool = True


class ActorEvent(CloudEvent):
    """The envelope as it travels on the topic (documents the AsyncAPI catalogue)."""

    data: ActorState  # type: ignore[assignment]
