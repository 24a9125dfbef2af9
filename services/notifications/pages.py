"""HTML pages of the notifications service (German): subscribe, confirm, manage, unsubscribe.

Links in mails carry signed tokens (tokens.py). Following a link with GET never changes
anything except the confirmation, which is the very point of that link; unsubscribing
needs a POST (the page's button, or a mail client's RFC 8058 one-click request), so link
scanners that open every URL in a mail cannot unsubscribe anyone.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from npa.infrastructure.outbox import utcnow
from npa.infrastructure.pages import make_templates
from services.notifications import domain, tokens, usecases
from services.notifications.api import Preferences, SubscriptionBody, submit_subscription
from services.notifications.models import Subscription

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parent)

FORM_ERRORS = {
    "email": "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    "fields": "Bitte wählen Sie mindestens ein Handlungsfeld.",
    "regions": "Bitte wählen Sie Regionen aus der Liste.",
    "frequency": "Bitte wählen Sie, wie oft Sie benachrichtigt werden möchten.",
    "language": "Bitte wählen Sie Deutsch oder Englisch.",
}
DEFAULTS = {"email": "", "fields": [], "regions": [], "frequency": "immediate", "language": "de",
            "examples": False, "new_actors": False}


def _page(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _invalid_link(request: Request, error: Exception) -> HTMLResponse:
    expired = isinstance(error, tokens.InvalidToken) and error.expired
    return _page(request, "invalid_link.html", 400, expired=expired)


def _form_values(form: FormData) -> dict:
    return {
        "email": str(form.get("email") or ""),
        "fields": [str(v) for v in form.getlist("fields")],
        "regions": [str(v) for v in form.getlist("regions") if v],
        "frequency": str(form.get("frequency") or "immediate"),
        "language": str(form.get("language") or "de"),
        "examples": form.get("examples") is not None,
        "new_actors": form.get("new_actors") is not None,
    }


def _errors(error: ValidationError) -> dict[str, str]:
    names = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
    return {name: FORM_ERRORS.get(name, "Bitte prüfen Sie diese Angabe.") for name in names}


def _subscription_for(request: Request, purpose: str, token: str) -> Subscription:
    """The subscription a token names; raises InvalidToken or LinkNoLongerValid."""
    runtime = request.app.state.runtime
    subscription_id = runtime.tokens.read(purpose, token)
    with runtime.transaction() as session:
        return usecases.load_for_link(session, subscription_id)


@router.get("/", response_class=HTMLResponse)
@router.get("/subscriptions/new", response_class=HTMLResponse)
def subscribe_form(request: Request) -> HTMLResponse:
    return _page(request, "subscribe.html", values=DEFAULTS, errors={})


@router.post("/subscriptions/new", response_class=HTMLResponse)
async def subscribe(request: Request) -> HTMLResponse:
    values = _form_values(await request.form())
    try:
        body = SubscriptionBody.model_validate(values)
    except ValidationError as error:
        return _page(request, "subscribe.html", 422, values=values, errors=_errors(error))
    await run_in_threadpool(submit_subscription, request, body)
    return _page(request, "subscribe_done.html")


@router.get("/subscriptions/confirm", response_class=HTMLResponse)
def confirm(request: Request, token: str = "") -> HTMLResponse:
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.CONFIRM, token)
        with runtime.transaction() as session:
            subscription = usecases.confirm_subscription(session, subscription_id, utcnow())
            session.commit()
    except (tokens.InvalidToken, usecases.LinkNoLongerValid) as error:
        return _invalid_link(request, error)
    manage_url = tokens.links(runtime.settings.public_base_url, runtime.tokens, subscription.id)["manage"]
    return _page(request, "confirmed.html", manage_url=manage_url)


@router.get("/subscriptions/unsubscribe", response_class=HTMLResponse)
def unsubscribe_question(request: Request, token: str = "") -> HTMLResponse:
    try:
        _subscription_for(request, tokens.UNSUBSCRIBE, token)
    except usecases.LinkNoLongerValid:
        return _page(request, "unsubscribed.html")  # already cancelled: say so, change nothing
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    return _page(request, "unsubscribe.html", token=token)


@router.post("/subscriptions/unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str = "") -> HTMLResponse:
    """RFC 8058 one-click: the body (`List-Unsubscribe=One-Click`, or none) is not needed."""
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.UNSUBSCRIBE, token)
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    with runtime.transaction() as session:
        usecases.cancel_subscription(session, subscription_id, utcnow())
        session.commit()
    return _page(request, "unsubscribed.html")


@router.get("/subscriptions/manage", response_class=HTMLResponse)
def manage(request: Request, token: str = "") -> HTMLResponse:
    try:
        subscription = _subscription_for(request, tokens.MANAGE, token)
    except usecases.LinkNoLongerValid:
        return _page(request, "unsubscribed.html")
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    return _manage_page(request, subscription, token)


@router.post("/subscriptions/manage", response_class=HTMLResponse)
async def change(request: Request, token: str = "") -> HTMLResponse:
    values = _form_values(await request.form())
    return await run_in_threadpool(_change, request, token, values)


def _change(request: Request, token: str, values: dict) -> HTMLResponse:
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.MANAGE, token)
        preferences = Preferences.model_validate({k: v for k, v in values.items() if k != "email"})
        with runtime.transaction() as session:
            subscription = usecases.load_for_link(session, subscription_id)
            saved = usecases.change_preferences(session, subscription, preferences.values(), utcnow())
            session.commit()
    except usecases.LinkNoLongerValid:
        return _page(request, "unsubscribed.html")
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    except ValidationError as error:
        return _page(request, "manage.html", 422, values=values, errors=_errors(error), token=token,
                     status_text=None, saved=False, unsubscribe_url=_unsubscribe_url(request, subscription_id))
    return _manage_page(request, subscription, token, saved=saved)


def _manage_page(request: Request, subscription: Subscription, token: str, saved: bool = False) -> HTMLResponse:
    status_text = "aktiv" if subscription.status == domain.ACTIVE else "noch nicht bestätigt"
    return _page(request, "manage.html", values=subscription.preferences(), errors={}, token=token,
                 status_text=status_text, saved=saved, unsubscribe_url=_unsubscribe_url(request, subscription.id))


def _unsubscribe_url(request: Request, subscription_id: str) -> str:
    runtime = request.app.state.runtime
    return tokens.links(runtime.settings.public_base_url, runtime.tokens, subscription_id)["unsubscribe"]
