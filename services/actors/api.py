"""JSON routes of the actors service."""

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl
from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.envelope import new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.reference import districts_in, is_region
from npa.contracts.validation import DistrictKeys, FieldSlugs
from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from npa.infrastructure.outbox import utcnow
from services.actors import domain
from services.actors.models import Actor

router = APIRouter(prefix="/api/v1/actors", tags=["actors"])

Kind = Literal[domain.KINDS]  # type: ignore[valid-type]


class ActorBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200)
    kind: Kind
    districts: DistrictKeys = Field(default_factory=list)
    fields: FieldSlugs
    description: str = Field("", max_length=5000)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=50, pattern=r"^[0-9 +()/-]{3,50}$")
    website: HttpUrl | None = None
    address: str | None = Field(None, max_length=200)
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    is_multiplier: bool = False


class ActorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=2, max_length=200)
    kind: Kind | None = None
    districts: DistrictKeys | None = None
    fields: FieldSlugs | None = None
    description: str | None = Field(None, max_length=5000)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=50, pattern=r"^[0-9 +()/-]{3,50}$")
    website: HttpUrl | None = None
    address: str | None = Field(None, max_length=200)
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    is_multiplier: bool | None = None


def actor_state(actor: Actor) -> dict:
    return actor_events.ActorState.model_validate(actor, from_attributes=True).model_dump(mode="json")


def _stage(request: Request, session: Session, actor: Actor, event_type: str) -> None:
    event = new_event(source=actor_events.SOURCE, type=event_type, subject=actor.id, data=actor_state(actor))
    request.app.state.runtime.stage(session, topics.ACTORS, event)


def _load(session: Session, actor_id: str) -> Actor:
    actor = session.get(Actor, actor_id)
    if actor is None:
        raise HTTPException(404, f"actor {actor_id} not found")
    return actor


@router.post("", status_code=201, dependencies=[Depends(require_admin)])
def register_actor(body: ActorBody, request: Request) -> dict:
    with request.app.state.runtime.transaction() as session:
        actor = Actor(**body.model_dump(mode="json"))
        session.add(actor)
        _stage(request, session, actor, actor_events.REGISTERED)
        session.commit()
    return actor_state(actor)


@router.get("")
def list_actors(
    request: Request,
    field: str | None = None,
    region: str | None = Query(None, description="district key or ARL region name"),
    kind: str | None = None,
    q: str | None = Query(None, max_length=200),
    multiplier: bool | None = None,
    include_inactive: bool = False,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict:
    if region is not None and not is_region(region):
        raise invalid("query", "region", f"unknown region {region!r}")
    with request.app.state.runtime.transaction() as session:
        query = select(Actor).order_by(Actor.name, Actor.id)
        if not include_inactive:
            query = query.where(Actor.active)
        if kind:
            query = query.where(Actor.kind == kind)
        if multiplier is not None:
            query = query.where(Actor.is_multiplier == multiplier)
        actors = session.exec(query).all()
    wanted = districts_in(region) if region else None
    needle = (q or "").casefold()
    matching = [
        actor
        for actor in actors
        if (field is None or field in actor.fields)
        and (wanted is None or domain.serves(actor.districts, wanted))
        and (not needle or needle in f"{actor.name} {actor.description}".casefold())
    ]
    return {"total": len(matching), "items": [actor_state(a) for a in matching[offset : offset + limit]]}


@router.get("/{actor_id}")
def get_actor(actor_id: str, request: Request) -> dict:
    with request.app.state.runtime.transaction() as session:
        return actor_state(_load(session, actor_id))


@router.patch("/{actor_id}", dependencies=[Depends(require_admin)])
def update_actor(actor_id: str, body: ActorPatch, request: Request) -> dict:
    proposed = body.model_dump(mode="json", exclude_unset=True)
    with request.app.state.runtime.transaction() as session:
        actor = _load(session, actor_id)
        changed = domain.changed_fields(actor.model_dump(mode="json"), proposed)
        if changed:
            for name in changed:
                setattr(actor, name, proposed[name])
            actor.version += 1
            actor.updated_at = utcnow()
            session.add(actor)
            _stage(request, session, actor, actor_events.UPDATED)
            session.commit()
    return actor_state(actor)


@router.delete("/{actor_id}", status_code=204, dependencies=[Depends(require_admin)])
def deactivate_actor(actor_id: str, request: Request) -> Response:
    with request.app.state.runtime.transaction() as session:
        actor = _load(session, actor_id)
        if actor.active:
            actor.active = False
            actor.version += 1
            actor.updated_at = utcnow()
            session.add(actor)
            _stage(request, session, actor, actor_events.DEACTIVATED)
            session.commit()
    return Response(status_code=204)
