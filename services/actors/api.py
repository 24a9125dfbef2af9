"""JSON routes of the actors service."""

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, StrictBool, field_validator
from sqlmodel import Session

from npa.contracts.events.actors import ActorState
from npa.contracts.reference import ARL_REGIONS
from npa.contracts.text import MultiLine, SingleLine
from npa.contracts.validation import DistrictKeys, FieldSlug, FieldSlugs, RegionName
from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import known_query_only
from npa.infrastructure.runtime import ServiceRuntime
from services.actors import directory, domain, registry

router = APIRouter(prefix="/api/v1/actors", tags=["actors"], dependencies=[Depends(known_query_only)])

Kind = Literal[domain.KINDS]  # type: ignore[valid-type]
PHONE = r"^[0-9 +()/-]{3,50}$"


class ActorBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine = Field(min_length=2, max_length=200)
    kind: Kind
    districts: DistrictKeys = Field(default_factory=list, description="district keys (AGS); empty = state-wide")
    fields: FieldSlugs
    description: MultiLine = Field("", max_length=5000)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=50, pattern=PHONE)
    website: HttpUrl | None = None
    address: SingleLine | None = Field(None, max_length=200)
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    is_multiplier: StrictBool = False


class ActorPatch(BaseModel):
    """Only the fields sent change; contact fields may be cleared with null, the others not."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine | None = Field(None, min_length=2, max_length=200)
    kind: Kind | None = None
    districts: DistrictKeys | None = None
    fields: FieldSlugs | None = None
    description: MultiLine | None = Field(None, max_length=5000)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=50, pattern=PHONE)
    website: HttpUrl | None = None
    address: SingleLine | None = Field(None, max_length=200)
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    is_multiplier: StrictBool | None = None

    @field_validator("name", "kind", "districts", "fields", "description", "is_multiplier", mode="before")
    @classmethod
    def not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value


class ActorList(BaseModel):
    total: int = Field(description="actors matching the filters, on all pages")
    offset: int = Field(description="matching actors before this page")
    items: list[ActorState]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    prev_cursor: str | None = Field(description="pass as `cursor` for the previous page; null on the first page")


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


@router.post("", status_code=201, response_model=ActorState, dependencies=[Depends(require_admin)])
def register_actor(body: ActorBody, request: Request) -> dict:
    with runtime(request).transaction() as session:
        state = registry.register(session, body.model_dump(mode="json"))
        session.commit()
    return state


@router.get("", response_model=ActorList)
def list_actors(
    request: Request,
    field: FieldSlug | None = Query(None, description="field of action slug"),
    region: RegionName | None = Query(
        None, description=f"district key (AGS) or ARL region name ({', '.join(ARL_REGIONS)}); "
        "state-wide actors match every region"),
    kind: Kind | None = None,
    multiplier: bool | None = None,
    q: str | None = Query(None, max_length=200, description="text in name or description, case-insensitive"),
    include_inactive: bool = False,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000, description="simple paging; prefer `cursor`, which is stable under inserts"),
    cursor: str | None = Query(None, max_length=2000, description="`next_cursor` or `prev_cursor` of a response"),
) -> dict:
    try:
        filters = directory.parse_filters(
            field=field, region=region, kind=kind, multiplier=multiplier, q=q, include_inactive=include_inactive)
        position = directory.Cursor.decode(cursor) if cursor else None
        if position is not None and offset:
            raise directory.InvalidFilter("offset", "use either cursor or offset, not both")
    except directory.InvalidFilter as error:
        raise invalid("query", error.parameter, str(error)) from error
    with Session(runtime(request).engine) as session:
        page = directory.find_actors(session, filters, limit=limit, offset=offset, cursor=position)
    return vars(page)


@router.get("/{actor_id}", response_model=ActorState)
def get_actor(actor_id: str, request: Request) -> dict:
    with Session(runtime(request).engine) as session:
        state = directory.get_state(session, actor_id)
    if state is None:
        raise HTTPException(404, f"actor {actor_id} not found")
    return state


@router.patch("/{actor_id}", response_model=ActorState, dependencies=[Depends(require_admin)])
def update_actor(actor_id: str, body: ActorPatch, request: Request) -> dict:
    with runtime(request).transaction() as session:
        try:
            state = registry.update(session, actor_id, body.model_dump(mode="json", exclude_unset=True))
        except registry.ActorNotFound as error:
            raise HTTPException(404, str(error)) from error
        session.commit()
    return state


@router.delete("/{actor_id}", status_code=204, dependencies=[Depends(require_admin)])
def deactivate_actor(actor_id: str, request: Request) -> Response:
    with runtime(request).transaction() as session:
        try:
            registry.deactivate(session, actor_id)
        except registry.ActorNotFound as error:
            raise HTTPException(404, str(error)) from error
        session.commit()
    return Response(status_code=204)
