"""The pages behind the signed links in mails: confirm, manage, export, delete, unsubscribe.

Following a link with GET never changes anything except the confirmation, which is the very
point of that link; unsubscribing and deleting need a POST (the page's button, or a mail
client's RFC 8058 one-click request), so link scanners that open every URL in a mail cannot
unsubscribe or erase anyone. Pages speak the subscription's language. Each page reads its
token, then calls one use case, which owns its transaction (ADR 25).
"""

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from services.notifications import tokens, usecases
from services.notifications.models import Subscription
from services.notifications.schemas import Preferences
from services.notifications.usecases.privacy import erase_by_link, export_by_link
from services.notifications.usecases.subscriptions import (
    cancel_by_link,
    change_preferences_by_link,
    confirm_by_link,
    subscription_by_link,
)
from services.notifications.pages.common import (
    form_errors,
    form_values,
    invalid_link,
    links_for,
    manage_page,
    page,
    page_language,
)

router = APIRouter(include_in_schema=False)


def _subscription_for(request: Request, purpose: str, token: str, *, cancelled_too: bool = False) -> Subscription:
    """The subscription a token names; raises InvalidToken or LinkNoLongerValid."""
    runtime = request.app.state.runtime
    return subscription_by_link(runtime, runtime.tokens.read(purpose, token), cancelled_too=cancelled_too)


@router.get("/subscriptions/confirm", response_class=HTMLResponse)
def confirm(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    runtime = request.app.state.runtime
    try:
        subscription, applies = confirm_by_link(runtime, runtime.tokens.read(tokens.CONFIRM, token))
    except (tokens.InvalidToken, usecases.LinkNoLongerValid) as error:
        return invalid_link(request, error, page_language(lang))
    return page(request, "confirmed.html", subscription.language,
                manage_url=links_for(request, subscription.id)["manage"] if applies else None)


@router.get("/subscriptions/unsubscribe", response_class=HTMLResponse)
def unsubscribe_question(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    # already cancelled: say so, change nothing
    return _question(request, tokens.UNSUBSCRIBE, token, lang, "unsubscribe.html", "unsubscribed.html")


def _question(request: Request, purpose: str, token: str, lang: str, question: str, done: str,
              cancelled_too: bool = False) -> HTMLResponse:
    """The GET half of a two-step link (unsubscribe, delete): it only asks, a POST acts."""
    try:
        subscription = _subscription_for(request, purpose, token, cancelled_too=cancelled_too)
    except usecases.LinkNoLongerValid:
        return page(request, done, page_language(lang))
    except tokens.InvalidToken as error:
        return invalid_link(request, error, page_language(lang))
    return page(request, question, subscription.language, token=token)


@router.post("/subscriptions/unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    """RFC 8058 one-click: the body (`List-Unsubscribe=One-Click`, or none) is not needed."""
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.UNSUBSCRIBE, token)
    except tokens.InvalidToken as error:
        return invalid_link(request, error, page_language(lang))
    language = cancel_by_link(runtime, subscription_id)
    delete_url = None
    if language is not None:  # one step further, for those who want nothing kept
        delete_url = links_for(request, subscription_id)["manage"].replace("/manage?", "/delete?")
    return page(request, "unsubscribed.html", language or page_language(lang), delete_url=delete_url)


@router.get("/subscriptions/manage", response_class=HTMLResponse)
def manage(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    try:
        subscription = _subscription_for(request, tokens.MANAGE, token)
    except usecases.LinkNoLongerValid:
        return page(request, "unsubscribed.html", page_language(lang))
    except tokens.InvalidToken as error:
        return invalid_link(request, error, page_language(lang))
    return manage_page(request, subscription, token)


@router.post("/subscriptions/manage", response_class=HTMLResponse)
async def change(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    values = form_values(await request.form())
    return await run_in_threadpool(_change, request, token, values, page_language(lang))


def _change(request: Request, token: str, values: dict, language: str) -> HTMLResponse:
    """A dead link is reported before invalid values, and invalid values change nothing."""
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.MANAGE, token)
        preferences = Preferences.model_validate({k: v for k, v in values.items() if k != "email"})
    except tokens.InvalidToken as error:
        return invalid_link(request, error, language)
    except ValidationError as error:
        return _rejected(request, token, subscription_id, values, error, language)
    try:
        subscription, saved = change_preferences_by_link(runtime, subscription_id, preferences.values())
    except usecases.LinkNoLongerValid:
        return page(request, "unsubscribed.html", language)
    return manage_page(request, subscription, token, saved=saved)


def _rejected(request: Request, token: str, subscription_id: str, values: dict, error: ValidationError,
              language: str) -> HTMLResponse:
    """The manage form again with its errors, in the subscription's language."""
    try:
        language = subscription_by_link(request.app.state.runtime, subscription_id).language
    except usecases.LinkNoLongerValid:
        return page(request, "unsubscribed.html", language)
    return page(request, "manage.html", language, 422, values=values, errors=form_errors(error, language),
                token=token, status_text=None, saved=False,
                unsubscribe_url=links_for(request, subscription_id)["unsubscribe"])


@router.get("/subscriptions/export", response_model=None)
def export(request: Request, token: str = "", lang: str = "de") -> Response:
    """My data as a JSON download: the subscription, its consent records and deliveries."""
    runtime = request.app.state.runtime
    try:
        data = export_by_link(runtime, runtime.tokens.read(tokens.MANAGE, token))
    except (tokens.InvalidToken, usecases.LinkNoLongerValid) as error:
        return invalid_link(request, error, page_language(lang))
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="npa-benachrichtigungen-meine-daten.json"',
                             "Cache-Control": "no-store"})


@router.get("/subscriptions/delete", response_class=HTMLResponse)
def delete_question(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    # nothing left to delete: say so
    return _question(request, tokens.MANAGE, token, lang, "delete.html", "deleted.html", cancelled_too=True)


@router.post("/subscriptions/delete", response_class=HTMLResponse)
def delete(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    """Erases the subscriber, also after an unsubscribe (the manage link still proves the mailbox)."""
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.MANAGE, token)
    except tokens.InvalidToken as error:
        return invalid_link(request, error, page_language(lang))
    language = erase_by_link(runtime, subscription_id)
    if language is not None:  # erased
        runtime.scrubber.after_erasure()  # the address leaves the database files too (ADR 15)
    return page(request, "deleted.html", language or page_language(lang))
