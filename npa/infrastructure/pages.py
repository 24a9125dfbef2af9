"""Jinja2 environment for a service's pages: its own templates/ plus the shared portal layout.

Every page extends `base.html` (header with the portal navigation, footer, language switch);
`request.app.state.portal` says where the other services' pages are. Texts go through gettext
(`_()` and `{% trans %}` in templates; npa.infrastructure.i18n).
"""

from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from npa.infrastructure import i18n
from npa.infrastructure.portal import N_

SHARED_TEMPLATES = Path(__file__).parent / "templates"
# The reference data's German names, marked for the catalogues (field_name translates them).
FIELD_MSGIDS = (N_("Sprachförderung"), N_("Arbeitsmarktintegration"), N_("Freiwilliges Engagement"),
                N_("Wohnen und Leben"), N_("Politische und gesellschaftliche Teilhabe"))


def make_templates(service_dir: Path | None = None) -> Jinja2Templates:
    loaders = [FileSystemLoader(service_dir / "templates")] if service_dir else []
    environment = Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(FIELDS=FIELDS, DISTRICTS=districts(), ARL_REGIONS=ARL_REGIONS,
                               LANGUAGES=i18n.LANGUAGES, current_language=i18n.current, is_rtl=i18n.is_rtl,
                               field_label=field_name, language_switch_url=language_switch_url)
    environment.filters["field_names"] = field_names
    environment.filters["district_name"] = district_name
    environment.filters["replace_page"] = replace_page
    environment.filters["date"] = local_date
    environment.filters["datetime"] = local_datetime
    environment.filters["language_names"] = language_names
    return Jinja2Templates(env=environment)


def field_name(slug: str) -> str:
    names = FIELDS.get(slug)
    if names is None:
        return slug
    return i18n.translate(names["de"])  # the names are in the catalogues (reference data)


def field_names(slugs: list[str], lang: str | None = None) -> str:
    if lang is not None and lang in ("de", "en"):
        return ", ".join(FIELDS[slug][lang] for slug in slugs if slug in FIELDS)
    return ", ".join(field_name(slug) for slug in slugs if slug in FIELDS)


def district_name(key: str | None) -> str:
    if key is None:
        return i18n.gettext("landesweit")
    district = districts().get(key)
    return district.name if district else key


def local_date(value: date | str | None, style: str = "medium") -> str:
    """A date as people of the current language write it (de: 11.01.2027); None → "keine Angabe"."""
    if value in (None, ""):
        return i18n.gettext("keine Angabe")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return format_date(value, format=style, locale=i18n.locale(i18n.current()))


def local_datetime(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return i18n.gettext("keine Angabe")
    return format_datetime(value, format=style, locale=i18n.locale(i18n.current()))


def language_names(codes: list[str] | None) -> str:
    """Language codes by name in the reader's language (ar → Arabisch); None → "keine Angabe"."""
    if codes is None:
        return i18n.gettext("keine Angabe")
    names = i18n.locale(i18n.current()).languages
    return ", ".join(names.get(code, code) for code in codes)


def language_switch_url(request, language: str) -> str:  # noqa: ANN001
    """This page in another language: the same path and query, `lang` replaced (relative URL)."""
    items = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return request.url.path + "?" + urlencode([*items, ("lang", language)])


def replace_page(query_params, page: int) -> str:  # noqa: ANN001
    """The current query string with another `page`, for pagination links."""
    items = [(key, value) for key, value in query_params.multi_items() if key != "page"]
    return urlencode([*items, ("page", str(page))])
