"""The pages behind the signed links in mails: confirm, manage, export, delete, unsubscribe.

Following a link with GET never changes anything except the confirmation, which is the very
point of that link; unsubscribing and deleting need a POST (the page's button, or a mail
client's RFC 8058 one-click request), so link scanners that open every URL in a mail cannot
unsubscribe or erase anyone. Pages speak the subscription's language.
"""

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from npa.infrastructure.outbox import utcnow
from services.notifications import tokens, usecases
from services.notifications.models import Subscription
from services.notifications.schemas import Preferences
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
    """The subscription a token names; raises InvalidToken or LinkNoLongerValid. A cancelled
    subscription still has its data: export and erasure reach it too."""
    runtime = request.app.state.runtime
    subscription_id = runtime.tokens.read(purpose, token)
    with runtime.transaction() as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is not None and cancelled_too:
            return subscription
        return usecases.load_for_link(session, subscription_id)


@router.get("/subscriptions/confirm", response_class=HTMLResponse)
def confirm(request: Request, token: str = "", lang: str = "de") -> HTMLResponse:
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.CONFIRM, token)
        with runtime.transaction() as session:
            # used once (ADR 20): only the visit that applies a request leads on to the manage page
            applies = usecases.load_for_link(session, subscription_id).requested is not None
            subscription = usecases.confirm_subscription(session, subscription_id, utcnow())
            session.commit()
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
    with runtime.transaction() as session:
        subscription = session.get(Subscription, subscription_id)
        language = subscription.language if subscription else page_language(lang)
        usecases.cancel_subscription(session, subscription_id, utcnow())
        session.commit()
    delete_url = None
    if subscription is not None:  # one step further, for those who want nothing kept
        delete_url = links_for(request, subscription_id)["manage"].replace("/manage?", "/delete?")
    return page(request, "unsubscribed.html", language, delete_url=delete_url)


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
    runtime = request.app.state.runtime
    try:
        subscription_id = runtime.tokens.read(tokens.MANAGE, token)
        with runtime.transaction() as session:
            subscription = usecases.load_for_link(session, subscription_id)
            language = subscription.language
            preferences = Preferences.model_validate({k: v for k, v in values.items() if k != "email"})
            saved = usecases.change_preferences(session, subscription, preferences.values(), utcnow())
            session.commit()
    except usecases.LinkNoLongerValid:
        return page(request, "unsubscribed.html", language)
    except tokens.InvalidToken as error:
        return invalid_link(request, error, language)
    except ValidationError as error:
        return page(request, "manage.html", language, 422, values=values, errors=form_errors(error, language),
                    token=token, status_text=None, saved=False,
                    unsubscribe_url=links_for(request, subscription_id)["unsubscribe"])
    return manage_page(request, subscription, token, saved=saved)


@router.get("/subscriptions/export", response_model=None)
def export(request: Request, token: str = "", lang: str = "de") -> Response:
    """My data as a JSON download: the subscription, its consent records and deliveries."""
    runtime = request.app.state.runtime
    try:
        subscription = _subscription_for(request, tokens.MANAGE, token, cancelled_too=True)
        with runtime.transaction() as session:
            data = usecases.export_data(session, subscription, utcnow())
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
    with runtime.transaction() as session:
        subscription = session.get(Subscription, subscription_id)
        language = subscription.language if subscription else page_language(lang)
        erased = usecases.erase_subscription(session, subscription_id, utcnow())
        session.commit()
    if erased:
        runtime.scrubber.after_erasure()  # the address leaves the database files too (ADR 15)
    return page(request, "deleted.html", language)
