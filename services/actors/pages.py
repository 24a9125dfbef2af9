"""HTML pages of the actors service (German first): the directory and one page per actor. They
read through the directory's use cases, with the service's runtime as unit of work."""

from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from npa.infrastructure.i18n import gettext
from npa.infrastructure.pages import make_templates
from npa.infrastructure.portal import N_
from npa.infrastructure.request_runtime import runtime
from services.actors import domain
from services.actors.usecases import directory

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parent)
templates.env.globals["KIND_NAMES"] = domain.KIND_NAMES  # German; templates translate them with _()
# The kinds' German names, marked for the catalogues (the domain stays free of gettext).
KIND_MSGIDS = (N_("Kommune"), N_("Land"), N_("Freier Träger"), N_("Kirche"), N_("Wirtschaft"), N_("Gewerkschaft"),
               N_("Migrantenorganisation"), N_("Initiative"), N_("Bildungsträger"), N_("Sonstige"))
PAGE_SIZE = 50


@router.get("/", response_class=HTMLResponse)
@router.get("/actors", response_class=HTMLResponse)
def actor_directory(
    request: Request,
    field: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    multiplier: bool = False,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=500),
) -> HTMLResponse:
    chosen = {"field": field or "", "region": region or "", "kind": kind or "", "q": (q or "").strip(),
              "multiplier": "true" if multiplier else ""}
    context: dict = {"chosen": chosen, "page": None, "error": None}
    try:
        filters = directory.parse_filters(field=field, region=region, kind=kind, q=q,
                                          multiplier=True if multiplier else None)
        position = directory.Cursor.decode(cursor) if cursor else None
    except directory.InvalidFilter as error:
        context["error"] = gettext("Ungültiger Filter „%(name)s“: %(reason)s") % {"name": error.parameter,
                                                                             "reason": error}
        return templates.TemplateResponse(request, "actors.html", context, status_code=422)
    page = directory.directory_page(runtime(request), filters, limit=limit, cursor=position)
    context.update(
        page=page,
        next_url=_directory_url(chosen, limit, page.next_cursor) if page.next_cursor else None,
        prev_url=_directory_url(chosen, limit, page.prev_cursor) if page.prev_cursor else None,
        first_url=_directory_url(chosen, limit, None),
    )
    return templates.TemplateResponse(request, "actors.html", context)


def _directory_url(chosen: dict[str, str], limit: int, cursor: str | None) -> str:
    params: dict[str, str | int] = {name: value for name, value in chosen.items() if value}
    if limit != PAGE_SIZE:
        params["limit"] = limit
    if cursor:
        params["cursor"] = cursor
    return "/actors" + (f"?{urlencode(params)}" if params else "")


@router.get("/actors/{actor_id}", response_class=HTMLResponse)
def actor_detail(actor_id: str, request: Request) -> HTMLResponse:
    profile = directory.actor_profile(runtime(request), actor_id)
    if profile is None:
        return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
    actor = profile.actor
    alongside = [{"actor": other, **common_ground(actor, other)} for other in profile.alongside]
    return templates.TemplateResponse(
        request, "actor.html", {"actor": actor, "alongside": alongside, "alongside_total": profile.alongside_total}
    )


def common_ground(actor: dict, other: dict) -> dict:
    """What two actors share, to say why one is listed on the other's page."""
    if not other["districts"]:
        districts = None  # the other works state-wide
    elif not actor["districts"]:
        districts = other["districts"]
    else:
        districts = sorted(set(actor["districts"]) & set(other["districts"]))
    return {"fields": sorted(set(actor["fields"]) & set(other["fields"])), "districts": districts}
