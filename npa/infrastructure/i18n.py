"""Languages of the portal: gettext catalogues (Babel), the reader's choice, and the current language.

German is the source language (msgids are German). Catalogues live in npa/locale/<lang>/LC_MESSAGES/
messages.po and are compiled in memory when first used, so no compiled .mo file can fall behind its
.po (ADR 17). Arabic and Ukrainian cover the public pages a refugee needs (offer search, offer and
example pages, subscribe … unsubscribe); elsewhere they fall back to English.

The choice: `?lang=xx` (remembered in a cookie for a year), else the cookie, else Accept-Language,
else German. It is kept in a context variable for the request, so templates and Python code call
`gettext` without passing the language around.
"""

import gettext as gettext_module
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = {"de": "Deutsch", "en": "English", "ar": "العربية", "uk": "Українська"}
RTL = frozenset({"ar"})
DEFAULT = "de"
COOKIE = "npa_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

_current: ContextVar[str] = ContextVar("npa_language", default=DEFAULT)


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    if language == DEFAULT or language not in LANGUAGES:
        return gettext_module.NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    compiled = gettext_module.GNUTranslations(buffer)
    if language != "en":
        compiled.add_fallback(translations("en"))
    return compiled


def current() -> str:
    return _current.get()


def use(language: str):  # noqa: ANN201 - a contextvars.Token
    """Make `language` current (for a request, a mail being rendered, a test)."""
    return _current.set(language if language in LANGUAGES else DEFAULT)


def reset(token) -> None:  # noqa: ANN001
    _current.reset(token)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def translate(message: str) -> str:
    """gettext for a msgid held in a variable (marked elsewhere with N_), so extraction skips it."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def is_rtl(language: str | None = None) -> bool:
    return (language or current()) in RTL


def best_match(accept_language: str) -> str | None:
    """The first supported language in an Accept-Language header, by quality."""
    choices = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, position, tag.strip().lower()))
    for negative_quality, _, tag in sorted(choices):
        if negative_quality >= 0:
            break
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> tuple[str, bool]:
    """(language, remember it in the cookie)."""
    if query in LANGUAGES:
        return query, query != cookie
    if cookie in LANGUAGES:
        return cookie, False
    return best_match(accept_language or "") or DEFAULT, False


@cache
def locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except UnknownLocaleError:
        return Locale.parse(DEFAULT)
