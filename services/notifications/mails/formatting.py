"""How facts read in a mail, in the mail's language: places, dates, languages, target groups.

The words come from the gettext catalogues (npa/locale, German msgids; context "E-Mail" where a
mail needs another form than a page, e.g. lower case inside a sentence), the names of languages
and months from Babel's locale data. The language is always passed in: the sender renders mails
of several languages in one round, there is no request whose language could be current.
"""

from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup

from npa.contracts.reference import FIELDS, districts
from npa.infrastructure import i18n

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
CHANGE_ORDER = ("title", "fields", "district", "postcode", "city", "address", "format", "starts_on", "ends_on",
                "schedule", "status")
LABEL_WIDTH = 18  # the text part lines up its facts: "Wo:               Region Hannover"


def translator(lang: str):  # noqa: ANN201 - gettext.NullTranslations
    return i18n.translations(lang)


@cache
def words(lang: str) -> Mapping[str, Mapping[str, str]]:
    """The fixed words a mail computes, by key, in `lang` (once per language)."""
    t = translator(lang)
    return {
        "target_groups": {
            "frauen": t.pgettext("E-Mail", "Frauen"), "kinder": t.pgettext("E-Mail", "Kinder"),
            "jugendliche": t.pgettext("E-Mail", "Jugendliche"), "familien": t.pgettext("E-Mail", "Familien"),
            "erwachsene": t.pgettext("E-Mail", "Erwachsene"),
            "senioren": t.pgettext("E-Mail", "Seniorinnen und Senioren"), "alle": t.pgettext("E-Mail", "alle"),
        },
        "formats": {"vor_ort": t.pgettext("E-Mail", "vor Ort"), "online": t.pgettext("E-Mail", "online"),
                    "telefon": t.pgettext("E-Mail", "telefonisch")},
        "changes": {
            "title": t.pgettext("E-Mail", "Titel"), "fields": t.pgettext("E-Mail", "Handlungsfelder"),
            "district": t.pgettext("E-Mail", "Landkreis"), "postcode": t.pgettext("E-Mail", "Ort"),
            "city": t.pgettext("E-Mail", "Ort"), "address": t.pgettext("E-Mail", "Adresse"),
            "format": t.pgettext("E-Mail", "Form"), "starts_on": t.pgettext("E-Mail", "Beginn"),
            "ends_on": t.pgettext("E-Mail", "Ende"), "schedule": t.pgettext("E-Mail", "Zeiten"),
            "status": t.pgettext("E-Mail", "Status"),
        },
        "frequencies": {"immediate": t.pgettext("E-Mail", "sofort, eine E-Mail je Meldung"),
                        "daily": t.pgettext("E-Mail", "täglich, eine Übersicht am Tag"),
                        "weekly": t.pgettext("E-Mail", "wöchentlich, eine Übersicht in der Woche")},
        "extras": {"examples": t.pgettext("E-Mail", "gute Beispiele"),
                   "new_actors": t.pgettext("E-Mail", "neue Akteure")},
    }


def field_names(slugs: list[str], lang: str) -> str:
    german = [FIELDS[slug]["de"] for slug in slugs if slug in FIELDS]  # msgids marked in npa/.../pages.py
    return ", ".join(map(translator(lang).gettext, german))


def language_names(codes: list[str] | None, lang: str) -> str:
    """"" when not stated (None, ADR 19): the templates then say "keine Angabe"."""
    names = i18n.locale(lang).languages
    return ", ".join(names.get(code, code) for code in codes or ())


def region_names(regions: list[str], lang: str) -> str:
    """A subscription's regions: district names and ARL regions; none = all of Lower Saxony."""
    t = translator(lang)
    if not regions:
        return t.gettext("ganz Niedersachsen")
    known = districts()
    return ", ".join(known[key].name if key in known else t.gettext("ARL-Region {key}").format(key=key)
                     for key in regions)


def chosen(preferences: Mapping[str, Any], lang: str) -> tuple[tuple[str, str], ...]:
    """What a subscriber chose, as (label, names) lines for the confirmation mail."""
    t, mail_words = translator(lang), words(lang)
    extras = [mail_words["extras"][flag] for flag in ("examples", "new_actors") if preferences.get(flag)]
    lines = [
        (t.gettext("Handlungsfelder"), field_names(list(preferences.get("fields") or []), lang)),
        (t.gettext("Regionen"), region_names(list(preferences.get("regions") or []), lang)),
        (t.gettext("Häufigkeit"), mail_words["frequencies"].get(str(preferences.get("frequency")), "")),
    ]
    if extras:
        lines.append((t.gettext("Außerdem"), ", ".join(extras)))
    return tuple(lines)


def place_name(district: str | None, lang: str) -> str:
    if district is None:
        return translator(lang).pgettext("E-Mail", "landesweit")
    known = districts().get(district)
    return known.name if known else district


def place_names(keys: list[str], lang: str, most: int = 3) -> str:
    """An actor's districts; a long list is cut short (subjects must stay readable)."""
    if not keys:
        return place_name(None, lang)
    names = [place_name(key, lang) for key in keys]
    if len(names) <= most:
        return ", ".join(names)
    return translator(lang).gettext("{names} und {more} weitere").format(names=", ".join(names[:most]),
                                                                         more=len(names) - most)


def where(offer: dict, lang: str) -> str:
    """District (or state-wide), address and format: `Region Hannover – Am Markt 1, 30159 Hannover`."""
    place = place_name(offer.get("district"), lang)
    town = " ".join(part for part in (offer.get("postcode"), offer.get("city")) if part)
    address = ", ".join(part for part in (offer.get("address"), town) if part)
    text = f"{place} – {address}" if address else place
    if offer.get("format") in ("online", "telefon"):
        text += f" ({format_name(offer['format'], lang)})"
    return text


def when(offer: dict, lang: str) -> str:
    t = translator(lang)
    starts, ends, schedule = offer.get("starts_on"), offer.get("ends_on"), offer.get("schedule")
    if starts and ends:
        text = t.gettext("{start} bis {end}").format(start=day(starts, lang), end=day(ends, lang))
    elif starts:
        text = t.gettext("ab {start}").format(start=day(starts, lang))
    elif ends:
        text = t.gettext("bis {end}").format(end=day(ends, lang))
    else:
        text = t.gettext("laufend, ohne festes Ende")
    return f"{text}; {schedule}" if schedule else text


def day(value: str | date | None, lang: str) -> str:
    """A date as the mail's language writes it; the pattern (CLDR syntax) is in the catalogues."""
    if not value:
        return ""
    when = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return format_date(when, format=translator(lang).pgettext("E-Mail Datumsformat", "dd.MM.yyyy"),
                       locale=i18n.locale(lang))


def audience(offer: dict, lang: str) -> str:
    """For whom: target groups, women only, childcare."""
    t, groups = translator(lang), words(lang)["target_groups"]
    parts = [groups.get(group, group) for group in offer.get("target_groups") or []]
    if offer.get("women_only"):
        parts.append(t.pgettext("E-Mail", "nur für Frauen"))
    if offer.get("childcare"):
        parts.append(t.pgettext("E-Mail", "mit Kinderbetreuung"))
    return ", ".join(parts) or groups["alle"]


def format_name(value: str | None, lang: str) -> str:
    return words(lang)["formats"].get(value or "vor_ort", value or "")


def change_names(names: list[str], lang: str) -> str:
    known = words(lang)["changes"]
    labels: list[str] = []
    for name in sorted(names, key=lambda n: CHANGE_ORDER.index(n) if n in CHANGE_ORDER else len(CHANGE_ORDER)):
        label = known.get(name, name)
        if label not in labels:
            labels.append(label)
    return ", ".join(labels)


def shorten(text: str | None, length: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + " …"


def label(text: str) -> str:
    """`Wo:` padded so the facts of the text part line up."""
    return f"{text}:".ljust(LABEL_WIDTH)


def template_gettext(lang: str) -> Callable[..., str]:
    """`_("Zum Angebot „%(title)s“", title=…)` in the templates. In the HTML part the translation is
    taken as written and the values filled in are escaped (as jinja2.ext.i18n's newstyle gettext
    does, but several times faster: digests are rendered per subscriber, ~60 texts each; ADR 10)."""
    translate = translator(lang).gettext

    @pass_eval_context
    def gettext(eval_context: EvalContext, message: str, **variables: object) -> str:
        text = translate(message)
        if eval_context.autoescape:
            return Markup(text) % variables if variables else Markup(text)
        return text % variables if variables else text

    return gettext


def make_environment(lang: str) -> Environment:
    """The mail templates in one language: `_()` translates into `lang`, which is also a global
    (the filters take it). One environment per language, so a round of German and English mails
    never depends on which language is "current"."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the code; a stat per template and mail showed in the profile
    )
    environment.globals.update(_=template_gettext(lang), lang=lang)
    environment.filters.update(field_names=field_names, language_names=language_names, place=place_name,
                               places=place_names, day=day, audience=audience, format_name=format_name,
                               where=where, when=when, label=label,
                               change_names=change_names, shorten=shorten)
    return environment
