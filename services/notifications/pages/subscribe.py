"""The subscribe form, German at `/` and `/subscriptions/new`, English with `?lang=en`."""

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from npa.contracts.reference import is_field, is_region
from npa.infrastructure.request_runtime import client_host
from npa.infrastructure.throttle import Throttled
from services.notifications import domain
from services.notifications.schemas import SubscriptionBody
from services.notifications.usecases.subscribe_requests import submit_subscription
from services.notifications.pages.common import (
    DEFAULTS,
    form_errors,
    form_values,
    mail_language,
    page,
    page_language,
)

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
@router.get("/subscriptions/new", response_class=HTMLResponse)
def subscribe_form(request: Request, lang: str | None = None, fields: list[str] = Query([]),
                   regions: list[str] = Query([])) -> HTMLResponse:
    """The form, pre-filled with the fields and regions of a search ("Benachrichtigen Sie mich über
    neue Angebote wie diese"); unknown values are left out, not an error."""
    language = page_language(request.scope.get("state", {}).get("language", lang))
    chosen = {"fields": [f for f in fields if is_field(f)][:5], "regions": [r for r in regions if is_region(r)][:49]}
    return page(request, "subscribe.html", language, values={**DEFAULTS, "language": mail_language(language), **chosen}, errors={},
                consent_version=domain.CONSENT_TEXT_VERSION)


@router.post("/subscriptions/new", response_class=HTMLResponse)
async def subscribe(request: Request) -> HTMLResponse:
    form = await request.form()
    language = page_language(form.get("page_language"))
    values = form_values(form)
    try:
        body = SubscriptionBody.model_validate(values)
    except ValidationError as error:
        return page(request, "subscribe.html", language, 422, values=values, errors=form_errors(error, language),
                    consent_version=domain.CONSENT_TEXT_VERSION)
    try:
        await run_in_threadpool(submit_subscription, request.app.state.runtime, client_host(request),
                                str(body.email), body.values())
    except Throttled as error:
        minutes = max(1, -(-error.retry_after // 60))
        response = page(request, "subscribe.html", language, 429, values=values, errors={},
                        consent_version=domain.CONSENT_TEXT_VERSION, throttled_minutes=minutes)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    return page(request, "subscribe_done.html", language)
