"""Good examples ("Gute Beispiele"): editors create drafts, publish, update, withdraw. Each route
calls a use case with the service's runtime as unit of work and maps its errors to HTTP."""

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from npa.contracts.reference import ARL_REGIONS, FIELDS, is_field, is_region
from npa.contracts.validation import FieldSlug, RegionName
from npa.infrastructure.auth import bearer, is_admin, require_admin
from npa.infrastructure.errors import invalid
from services.offers.api.dependencies import base_url, runtime
from services.offers.domain import examples as domain
from services.offers.schemas import ExampleBody, ExamplePatch
from services.offers.usecases import examples as usecases

router = APIRouter(tags=["examples"])

# Reads are public; an editor's token (optional) shows drafts too: security `[{}, bearer]`.
OPTIONAL_BEARER = {"security": [{}]}  # FastAPI adds the bearer beside it


def is_editor(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> bool:
    """Reads are public; a bearer token, if one is sent, must be the admin token."""
    if credentials is None or not credentials.credentials:
        return False
    if not is_admin(request, credentials.credentials):
        raise HTTPException(403, "admin token required", headers={"WWW-Authenticate": "Bearer"})
    return True


@router.post("/examples", status_code=201, dependencies=[Depends(require_admin)])
def create_example(body: ExampleBody, request: Request) -> dict:
    """Create a draft; nothing is announced until it is published."""
    try:
        example = usecases.create_example(runtime(request), body.model_dump(mode="json"))
    except usecases.UnknownActor as error:
        raise invalid("body", "actor_id", str(error)) from error
    return usecases.example_state(example, base_url(request))


@router.get("/examples", openapi_extra=OPTIONAL_BEARER)
def list_examples(
    request: Request,
    field: FieldSlug | None = None,
    region: RegionName | None = Query(None, description="district key or ARL region name"),
    q: str | None = Query(None, max_length=200, description="words in title or sections"),
    status: Literal[domain.STATUSES] = Query(domain.PUBLISHED, description="other than published: admin only"),  # type: ignore[valid-type]
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
    editor: bool = Depends(is_editor),
) -> dict:
    if not domain.is_public(status) and not editor:
        raise HTTPException(401, f"{status} examples are shown to editors only", headers={"WWW-Authenticate": "Bearer"})
    if field is not None and not is_field(field):
        raise invalid("query", "field", f"unknown field of action {field!r}; allowed: {sorted(FIELDS)}")
    if region is not None and not is_region(region):
        raise invalid("query", "region", f"unknown region {region!r}; use a district key or one of {list(ARL_REGIONS)}")
    matching = usecases.find_examples(runtime(request), status=status, field=field, region=region, text=q or "")
    public_url = base_url(request)
    page = matching[offset : offset + limit]
    return {"total": len(matching), "items": [usecases.example_state(e, public_url) for e in page]}


@router.get("/examples/{example_id}", openapi_extra=OPTIONAL_BEARER)
def get_example(example_id: str, request: Request, editor: bool = Depends(is_editor)) -> dict:
    """A published example; drafts and withdrawn ones only with the admin token."""
    example = usecases.get_example(runtime(request), example_id)
    if example is None or not (editor or domain.is_public(example.status)):
        raise HTTPException(404, f"example {example_id} not found")
    return usecases.example_state(example, base_url(request))


@router.patch("/examples/{example_id}", dependencies=[Depends(require_admin)])
def update_example(example_id: str, body: ExamplePatch, request: Request) -> dict:
    """Change some fields; a published example announces an actual change as `updated`."""
    try:
        example = usecases.update_example(runtime(request), example_id, body.model_dump(mode="json", exclude_unset=True),
                                          base_url=base_url(request))
    except usecases.ExampleNotFound as error:
        raise HTTPException(404, str(error)) from error
    except usecases.UnknownActor as error:
        raise invalid("body", "actor_id", str(error)) from error
    return usecases.example_state(example, base_url(request))


@router.post("/examples/{example_id}/publish", dependencies=[Depends(require_admin)])
def publish_example(example_id: str, request: Request) -> dict:
    """Publish a draft (or a withdrawn example again); publishing twice changes nothing."""
    try:
        example = usecases.publish_example(runtime(request), example_id, base_url=base_url(request))
    except usecases.ExampleNotFound as error:
        raise HTTPException(404, str(error)) from error
    return usecases.example_state(example, base_url(request))


@router.delete("/examples/{example_id}", status_code=204, dependencies=[Depends(require_admin)])
def withdraw_example(example_id: str, request: Request) -> Response:
    """Withdraw a published example (a draft is discarded quietly); withdrawing twice changes nothing."""
    try:
        usecases.withdraw_example(runtime(request), example_id, base_url=base_url(request))
    except usecases.ExampleNotFound as error:
        raise HTTPException(404, str(error)) from error
    return Response(status_code=204)
