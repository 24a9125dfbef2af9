"""How facts read in a mail, in German and English: places, dates, languages, target groups."""

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from npa.contracts.reference import FIELDS, districts

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"

LANGUAGE_NAMES = {
    "de": ("Deutsch", "German"), "en": ("Englisch", "English"), "ar": ("Arabisch", "Arabic"),
    "fa": ("Persisch (Farsi)", "Persian (Farsi)"), "uk": ("Ukrainisch", "Ukrainian"),
    "ru": ("Russisch", "Russian"), "tr": ("Türkisch", "Turkish"), "ku": ("Kurdisch", "Kurdish"),
    "ti": ("Tigrinya", "Tigrinya"), "ps": ("Paschtu", "Pashto"), "fr": ("Französisch", "French"),
    "so": ("Somali", "Somali"), "sq": ("Albanisch", "Albanian"),
}
TARGET_GROUPS = {
    "frauen": ("Frauen", "women"), "kinder": ("Kinder", "children"), "jugendliche": ("Jugendliche", "young people"),
    "familien": ("Familien", "families"), "erwachsene": ("Erwachsene", "adults"),
    "senioren": ("Seniorinnen und Senioren", "older people"), "alle": ("alle", "everyone"),
}
FORMATS = {"vor_ort": ("vor Ort", "in person"), "online": ("online", "online"), "telefon": ("telefonisch", "by phone")}
CHANGE_NAMES = {
    "title": ("Titel", "title"), "fields": ("Handlungsfelder", "fields of action"),
    "district": ("Landkreis", "district"), "postcode": ("Ort", "place"), "city": ("Ort", "place"),
    "address": ("Adresse", "address"), "format": ("Form", "format"), "starts_on": ("Beginn", "start"),
    "ends_on": ("Ende", "end"), "schedule": ("Zeiten", "times"), "status": ("Status", "status"),
}
STATEWIDE = {"de": "landesweit", "en": "statewide (all of Lower Saxony)"}
FREQUENCY_NAMES = {"immediate": ("sofort, eine E-Mail je Meldung", "immediately, one e-mail per item"),
                   "daily": ("täglich, eine Übersicht am Tag", "daily, one digest a day"),
                   "weekly": ("wöchentlich, eine Übersicht in der Woche", "weekly, one digest a week")}
CHOSEN_LABELS = {"fields": ("Handlungsfelder", "Fields of action"), "regions": ("Regionen", "Regions"),
                 "frequency": ("Häufigkeit", "Frequency"), "extras": ("Außerdem", "Also")}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _index(lang: str) -> int:
    return 0 if lang == "de" else 1


def field_names(slugs: list[str], lang: str) -> str:
    return ", ".join(FIELDS[slug][lang] for slug in slugs if slug in FIELDS)


def language_names(codes: list[str] | None, lang: str) -> str:
    """"" when not stated (None, ADR 19): the templates then say "keine Angabe"."""
    return ", ".join(LANGUAGE_NAMES[code][_index(lang)] if code in LANGUAGE_NAMES else code for code in codes or ())


def region_names(regions: list[str], lang: str) -> str:
    """A subscription's regions: district names and ARL regions; none = all of Lower Saxony."""
    if not regions:
        return "ganz Niedersachsen" if lang == "de" else "all of Lower Saxony"
    known = districts()
    return ", ".join(known[key].name if key in known else (f"ARL-Region {key}" if lang == "de" else
                                                          f"ARL region {key}") for key in regions)


def chosen(preferences: Mapping[str, Any], lang: str) -> tuple[tuple[str, str], ...]:
    """What a subscriber chose, as (label, names) lines for the confirmation mail."""
    index = _index(lang)
    extras = [name for flag, name in (("examples", ("gute Beispiele", "good examples")),
                                      ("new_actors", ("neue Akteure", "new actors"))) if preferences.get(flag)]
    lines = [
        (CHOSEN_LABELS["fields"][index], field_names(list(preferences.get("fields") or []), lang)),
        (CHOSEN_LABELS["regions"][index], region_names(list(preferences.get("regions") or []), lang)),
        (CHOSEN_LABELS["frequency"][index],
         FREQUENCY_NAMES.get(str(preferences.get("frequency")), ("", ""))[index]),
    ]
    if extras:
        lines.append((CHOSEN_LABELS["extras"][index], ", ".join(extra[index] for extra in extras)))
    return tuple(lines)


def place_name(district: str | None, lang: str) -> str:
    if district is None:
        return STATEWIDE[lang]
    known = districts().get(district)
    return known.name if known else district


def place_names(keys: list[str], lang: str, most: int = 3) -> str:
    """An actor's districts; a long list is cut short (subjects must stay readable)."""
    if not keys:
        return STATEWIDE[lang]
    names = [place_name(key, lang) for key in keys]
    if len(names) <= most:
        return ", ".join(names)
    more = len(names) - most
    return ", ".join(names[:most]) + (f" und {more} weitere" if lang == "de" else f" and {more} more")


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
    starts, ends, schedule = offer.get("starts_on"), offer.get("ends_on"), offer.get("schedule")
    de = lang == "de"
    if starts and ends:
        text = f"{day(starts, lang)} {'bis' if de else 'to'} {day(ends, lang)}"
    elif starts:
        text = f"{'ab' if de else 'from'} {day(starts, lang)}"
    elif ends:
        text = f"{'bis' if de else 'until'} {day(ends, lang)}"
    else:
        text = "laufend, ohne festes Ende" if de else "ongoing"
    return f"{text}; {schedule}" if schedule else text


def day(value: str | date | None, lang: str) -> str:
    if not value:
        return ""
    when = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return when.strftime("%d.%m.%Y") if lang == "de" else f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"


def audience(offer: dict, lang: str) -> str:
    """For whom: target groups, women only, childcare."""
    parts = [TARGET_GROUPS.get(group, (group, group))[_index(lang)] for group in offer.get("target_groups") or []]
    if offer.get("women_only"):
        parts.append("nur für Frauen" if lang == "de" else "women only")
    if offer.get("childcare"):
        parts.append("mit Kinderbetreuung" if lang == "de" else "childcare provided")
    return ", ".join(parts) or ("alle" if lang == "de" else "everyone")


def format_name(value: str | None, lang: str) -> str:
    return FORMATS.get(value or "vor_ort", (value, value))[_index(lang)] or ""


def change_names(names: list[str], lang: str) -> str:
    order = list(CHANGE_NAMES)
    labels: list[str] = []
    for name in sorted(names, key=lambda n: order.index(n) if n in order else len(order)):
        label = CHANGE_NAMES.get(name, (name, name))[_index(lang)]
        if label not in labels:
            labels.append(label)
    return ", ".join(labels)


def shorten(text: str | None, length: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + " …"


def make_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(field_names=field_names, language_names=language_names, place=place_name,
                               places=place_names, day=day, audience=audience, format_name=format_name,
                               where=where, when=when,
                               change_names=change_names, shorten=shorten)
    return environment
