"""What every page of the service shares: templates, language, form values and errors."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from npa.infrastructure import i18n
from npa.infrastructure.pages import make_templates
from services.notifications import domain, tokens
from services.notifications.models import Subscription
from services.notifications.pages.texts import STATUS, error_text, frequency_labels

templates = make_templates(Path(__file__).resolve().parent.parent)

DEFAULTS = {"email": "", "fields": [], "regions": [], "frequency": "immediate", "language": "de",
            "examples": False, "new_actors": False}


def page_language(value: object) -> str:
    """A page language (de, en, ar, uk); mails are written in de or en (domain.LANGUAGES)."""
    return value if value in i18n.LANGUAGES else "de"  # type: ignore[return-value]


def mail_language(page_language: str) -> str:
    return page_language if page_language in domain.LANGUAGES else "de"


def page(request: Request, name: str, language: str, status: int = 200, **context: object) -> HTMLResponse:
    """A page in `language` (the form's, or the subscription's for the pages behind mail links),
    unless the reader chose one with the language switch (query or cookie), which wins."""
    if "lang" in request.query_params or i18n.COOKIE in request.cookies:
        language = request.scope.get("state", {}).get("language", language)
    token = i18n.use(language)
    try:
        runtime = request.app.state.runtime
        context = {"lang": language, "frequencies": frequency_labels(runtime.config.schedule), **context}
        return templates.TemplateResponse(request, name, context, status_code=status)
    finally:
        i18n.reset(token)


def invalid_link(request: Request, error: Exception, language: str = "de") -> HTMLResponse:
    expired = isinstance(error, tokens.InvalidToken) and error.expired
    return page(request, "invalid_link.html", language, 400, expired=expired)


def form_values(form: FormData) -> dict:
    return {
        "email": str(form.get("email") or ""),
        "fields": [str(v) for v in form.getlist("fields")],
        "regions": [str(v) for v in form.getlist("regions") if v],
        "frequency": str(form.get("frequency") or "immediate"),
        "language": str(form.get("language") or "de"),
        "examples": form.get("examples") is not None,
        "new_actors": form.get("new_actors") is not None,
    }


def form_errors(error: ValidationError, language: str) -> dict[str, str]:
    token = i18n.use(language)
    try:
        names = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        return {name: error_text(name) for name in names}
    finally:
        i18n.reset(token)


def links_for(request: Request, subscription_id: str) -> dict[str, str]:
    runtime = request.app.state.runtime
    return tokens.links(runtime.settings.public_base_url, runtime.tokens, subscription_id)


def manage_page(request: Request, subscription: Subscription, token: str, saved: bool = False) -> HTMLResponse:
    language_token = i18n.use(subscription.language)
    try:
        status_text = i18n.translate(STATUS["active"] if subscription.status == domain.ACTIVE else STATUS["pending"])
    finally:
        i18n.reset(language_token)
    return page(request, "manage.html", subscription.language, values=subscription.preferences(), errors={},
                token=token, status_text=status_text, saved=saved,
                unsubscribe_url=links_for(request, subscription.id)["unsubscribe"])
