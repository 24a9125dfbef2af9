"""Public pages of the offers: the search (what was searched, keyset pages, ways to widen a
search that found nothing) and one page per offer. German first."""

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from npa.contracts.offer_body import TARGET_GROUPS
from npa.contracts.reference import districts
from npa.infrastructure.i18n import gettext, translate
from npa.infrastructure.pages import field_name, language_names, make_templates
from npa.infrastructure.portal import N_
from npa.infrastructure.request_runtime import base_url, runtime
from services.offers.domain.languages import LANGUAGES
from services.offers.domain.search import SearchFilters
from services.offers.usecases import search
from services.offers.usecases.known_actors import known_actor_name
from services.offers.usecases.offers import get_offer, offer_state

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parents[1])
PAGE_SIZE = 50
TARGET_GROUP_NAMES = {"frauen": N_("Frauen"), "kinder": N_("Kinder"), "jugendliche": N_("Jugendliche"),
                      "familien": N_("Familien"), "erwachsene": N_("Erwachsene"),
                      "senioren": N_("Seniorinnen und Senioren"), "alle": N_("alle")}
FORMAT_NAMES = {"vor_ort": N_("vor Ort"), "online": N_("online"), "telefon": N_("am Telefon")}
ACCESSIBLE_NAMES = {"ja": N_("ja"), "nein": N_("nein"), "unbekannt": N_("keine Angabe")}


def translated(names: dict[str, str]) -> dict[str, str]:
    return {key: translate(value) for key, value in names.items()}


PROBLEMS = {
    "q": N_("Der Suchtext ist zu lang (höchstens 200 Zeichen)."),
    "field": N_("Dieses Handlungsfeld gibt es nicht."),
    "region": N_("Diese Region gibt es nicht. Bitte einen Landkreis, eine kreisfreie Stadt oder eine ARL-Region wählen."),
    "language": N_("Diese Sprache kennen wir nicht: „{value}“. Bitte einen Namen wie „Arabisch“ oder „Ukrainisch“ "
                "oder einen Sprachcode wie „ar“ eingeben."),
    "target_group": N_("Diese Zielgruppe gibt es nicht."),
    "postcode": N_("Bitte eine Postleitzahl oder ihren Anfang eingeben (1 bis 5 Ziffern), zum Beispiel 26121 oder 261."),
    "city": N_("Bitte einen Ortsnamen eingeben (höchstens 100 Zeichen)."),
    "provider": N_("Diesen Träger gibt es nicht."),
    "cursor": N_("Dieser Link zur nächsten Seite ist ungültig – die Suche beginnt wieder auf der ersten Seite."),
}
WIDER = {"q": N_("ohne Suchwörter"), "field": N_("in allen Handlungsfeldern"), "region": N_("in ganz Niedersachsen"),
         "language": N_("in allen Sprachen"), "target_group": N_("für alle Zielgruppen"),
         "women_only": N_("auch Angebote, die nicht nur für Frauen sind"), "free": N_("auch Angebote mit Kosten"),
         "childcare": N_("auch Angebote ohne Kinderbetreuung"), "city": N_("an allen Orten"), "postcode": N_("ohne Postleitzahl"),
         "provider": N_("von allen Trägern")}


def region_name(region: str) -> str:
    district = districts().get(region)
    return f"{district.name} ({district.kind})" if district else gettext("ARL-Region %(name)s") % {"name": region}


def query_params(filters: SearchFilters) -> dict[str, str]:
    """The filters as the form sends them, for links."""
    params = {"q": filters.text, "field": filters.field, "region": filters.region, "language": filters.language,
              "target_group": filters.target_group, "city": filters.city, "postcode": filters.postcode,
              "provider": filters.provider,
              **{name: "true" for name in ("women_only", "free", "childcare") if getattr(filters, name)}}
    return {name: value for name, value in params.items() if value}


def link(filters: SearchFilters, **more: str) -> str:
    return "/offers?" + urlencode({**query_params(filters), **more})


def searched(filters: SearchFilters) -> list[dict[str, str]]:
    """What was searched, in the reader's language, each with a link that searches without it."""
    _ = gettext
    labels = [
        ("q", _("Suchwörter „%(words)s“") % {"words": filters.text} if filters.terms else None),
        ("field", _("Handlungsfeld: %(name)s") % {"name": field_name(filters.field)} if filters.field else None),
        ("region", _("Region: %(name)s") % {"name": region_name(filters.region)} if filters.region else None),
        ("city", _("Ort: %(name)s") % {"name": filters.city} if filters.city else None),
        ("postcode", _("Postleitzahl: %(code)s") % {"code": filters.postcode + ("…" if len(filters.postcode) < 5 else "")}
         if filters.postcode else None),
        ("language", _("Sprache: %(name)s") % {"name": language_names([filters.language])} if filters.language else None),
        ("target_group", _("Zielgruppe: %(name)s") % {"name": translate(TARGET_GROUP_NAMES[filters.target_group])}
         if filters.target_group else None),
        ("women_only", _("nur für Frauen") if filters.women_only else None),
        ("free", _("kostenlos") if filters.free else None),
        ("childcare", _("mit Kinderbetreuung") if filters.childcare else None),
        ("provider", _("nur Angebote eines Trägers") if filters.provider else None),
    ]
    return [{"label": label, "without": link(_without(filters, name))} for name, label in labels if label]


def _without(filters: SearchFilters, name: str) -> SearchFilters:
    if name == "q":
        return replace(filters, text="", terms=())
    if name == "region":
        return replace(filters, region=None, districts=None)
    if name == "city":
        return replace(filters, city=None, city_key=None)
    return replace(filters, **{name: None})


def suggestion_label(dropped: str) -> str:
    if dropped.startswith("word:"):
        return gettext("ohne das Wort „%(word)s“") % {"word": dropped[5:]}
    if dropped.startswith("region→"):
        return gettext("in der ganzen ARL-Region %(name)s") % {"name": dropped.split("→", 1)[1]}
    return translate(WIDER[dropped])


@router.get("/offers", response_class=HTMLResponse)
def offer_search(
    request: Request, q: str | None = None, field: str | None = None, region: str | None = None,
    language: str | None = None, target_group: str | None = None, women_only: bool = False, free: bool = False,
    childcare: bool = False, city: str | None = None, postcode: str | None = None, cursor: str | None = None,
    start: int = 1, provider: str | None = None,
) -> HTMLResponse:
    raw = {"q": q, "field": field, "region": region, "language": language, "target_group": target_group,
           "city": city, "postcode": postcode, "women_only": women_only or None, "free": free or None,
           "childcare": childcare or None, "provider": provider}
    problem, position = None, None
    try:
        filters = search.parse_filters(status="published", **raw)
    except search.InvalidFilter as error:
        problem = translate(PROBLEMS[error.parameter]).format(value=raw.get(error.parameter) or "")
        filters = None
    if filters is not None and cursor:
        try:
            position = search.Cursor.decode(cursor)
        except search.InvalidFilter:
            problem, start = translate(PROBLEMS["cursor"]), 1
    context: dict = {"raw": raw, "problem": problem, "offers": [], "total": 0, "searched": [], "suggestions": [],
                     "next_url": None, "first_url": None, "start": max(1, start)}
    if filters is not None:
        found = search.find_offers_or_wider(runtime(request), filters, limit=PAGE_SIZE, cursor=position,
                                            base_url=base_url(request))
        page = found.page
        context.update(
            offers=page.items, total=page.total, searched=searched(filters),
            suggestions=[{"label": suggestion_label(w.dropped), "url": link(w.filters), "total": w.total}
                         for w in found.wider],
            next_url=link(filters, cursor=page.next_cursor, start=str(context["start"] + len(page.items)))
            if page.next_cursor else None,
            first_url=link(filters) if position is not None else None,
        )
    provider_name = None
    if filters is not None and filters.provider:
        provider_name = known_actor_name(runtime(request), filters.provider) or filters.provider
    return templates.TemplateResponse(request, "offers.html", {
        **context, "target_groups": TARGET_GROUPS, "target_group_names": translated(TARGET_GROUP_NAMES),
        "provider_name": provider_name, "filters": filters,
        "languages": LANGUAGES, "field": field or None, "region": region or None,
    }, status_code=422 if problem and filters is None else 200)


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_detail(offer_id: str, request: Request) -> HTMLResponse:
    offer = get_offer(runtime(request), offer_id)
    if offer is None or offer.status == "draft":
        return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
    provider_name = known_actor_name(runtime(request), offer.body.get("provider_actor_id"))
    return templates.TemplateResponse(request, "offer.html", {
        "offer": offer_state(offer, base_url=base_url(request)), "provider_name": provider_name,
        "target_group_names": translated(TARGET_GROUP_NAMES), "format_names": translated(FORMAT_NAMES),
        "accessible_names": translated(ACCESSIBLE_NAMES)})
