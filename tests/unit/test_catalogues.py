"""The gettext catalogues (npa/locale) are current: every text in the code and templates is in
every catalogue, English translates all of them, and no translation loses a placeholder.
`make catalogues` brings them up to date after a text changed (docs/translations.md)."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from npa.infrastructure import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def extracted() -> set:
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open(encoding="utf-8"))
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(language: str):  # noqa: ANN201
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def messages() -> set:
    return extracted()


@pytest.mark.parametrize("language", ["en", "ar", "uk"])
def test_every_text_is_in_the_catalogue(messages, language):  # noqa: ANN001
    ids = {message.id for message in catalogue(language) if message.id}
    assert messages - ids == set(), f"run `make catalogues`: missing in {language}"


def test_english_translates_everything(messages):  # noqa: ANN001
    untranslated = [m.id for m in catalogue("en") if m.id and not (all(m.string) if isinstance(m.string, tuple)
                                                                    else m.string)]
    assert untranslated == []


@pytest.mark.parametrize("language", ["en", "ar", "uk"])
def test_translations_keep_their_placeholders(language):
    for message in catalogue(language):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if string:
                assert set(PLACEHOLDER.findall(string)) <= set(PLACEHOLDER.findall(source)), (language, source)


def test_the_public_pages_speak_arabic_and_ukrainian():
    for language, word in (("ar", "العروض"), ("uk", "Пропозиції")):
        token = i18n.use(language)
        try:
            assert i18n.gettext("Angebote") == word
            assert i18n.gettext("Sprachförderung") != "Sprachförderung"
        finally:
            i18n.reset(token)
    assert i18n.is_rtl("ar") and not i18n.is_rtl("uk")
    assert i18n.choose(None, None, "uk-UA,uk;q=0.9,en;q=0.5") == ("uk", False)
    assert i18n.choose("ar", "en", "de") == ("ar", True)
    assert i18n.choose("xx", "en", "de") == ("en", False)
    assert i18n.choose(None, None, "fr-FR, *;q=0.1") == ("de", False)
