"""JSON routes of the actors service: they check the query, call the use cases with the
service's runtime as unit of work, and map a missing actor to 404."""

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from npa.contracts.events.actors import ActorState
from npa.contracts.reference import ARL_REGIONS
from npa.contracts.validation import FieldSlug, RegionName
from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import known_query_only
from npa.infrastructure.request_runtime import runtime
from services.actors.schemas import ActorBody, ActorList, ActorPatch, Kind
from services.actors.usecases import directory, registry

router = APIRouter(prefix="/api/v1/actors", tags=["actors"], dependencies=[Depends(known_query_only)])


@router.post("", status_code=201, response_model=ActorState, dependencies=[Depends(require_admin)])
def register_actor(body: ActorBody, request: Request) -> dict:
    return registry.register_actor(runtime(request), body.model_dump(mode="json"))


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
    page = directory.directory_page(runtime(request), filters, limit=limit, offset=offset, cursor=position)
    return vars(page)


@router.get("/{actor_id}", response_model=ActorState)
def get_actor(actor_id: str, request: Request) -> dict:
    state = directory.actor_state(runtime(request), actor_id)
    if state is None:
        raise HTTPException(404, f"actor {actor_id} not found")
    return state


@router.patch("/{actor_id}", response_model=ActorState, dependencies=[Depends(require_admin)])
def update_actor(actor_id: str, body: ActorPatch, request: Request) -> dict:
    try:
        return registry.update_actor(runtime(request), actor_id, body.model_dump(mode="json", exclude_unset=True))
    except registry.ActorNotFound as error:
        raise HTTPException(404, str(error)) from error


@router.delete("/{actor_id}", status_code=204, dependencies=[Depends(require_admin)])
def deactivate_actor(actor_id: str, request: Request) -> Response:
    try:
        registry.deactivate_actor(runtime(request), actor_id)
    except registry.ActorNotFound as error:
        raise HTTPException(404, str(error)) from error
    return Response(status_code=204)
