"""Mails in German and English from one template per mail, texts from the gettext catalogues.

A German and an English mail of the same item have the same structure, the same links and the
same facts; only the words differ. formatting.py holds no word list per language any more.
"""

import ast
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from services.notifications.mails import MailRenderer, formatting
from tests.unit import test_notifications_mails as mails

MAILS = Path(formatting.__file__).resolve().parent
TOKEN = re.compile(r"token=[^\s\"&<>]+")
LANGUAGE_ATTRIBUTES = {"lang", "aria-label"}  # aria-label repeats the subject


class Skeleton(HTMLParser):
    """The HTML part without its words: tags with their attributes, `lang` and aria-label left out."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple] = []
        self.languages: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.languages.update(value or "" for name, value in attrs if name == "lang")
        self.tags.append((tag, tuple((name, value) for name, value in attrs if name not in LANGUAGE_ATTRIBUTES)))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("/" + tag,))


def skeleton(html: str) -> Skeleton:
    parser = Skeleton()
    parser.feed(html)
    return parser


def render(renderer: MailRenderer, kind: str, language: str) -> bytes:
    if kind == "confirmation":
        return renderer.confirmation(to="anna@example.org", subscription_id="sub-1", language=language,
                                     request_id="request-1", preferences=mails.CHOSEN)
    if kind == "digest":
        return renderer.digest(to="anna@example.org", subscription_id="sub-1", language=language,
                               digest_id="digest-1", frequency="weekly", period="weekly:2026-11-26",
                               created_at=datetime.now(UTC), entries=mails.digest_entries())
    return mails.item_mail(renderer, kind, language)


@pytest.mark.parametrize("kind", [*mails.KINDS, "confirmation", "digest"])
def test_german_and_english_mail_of_one_item_differ_only_by_language(kind):  # noqa: ANN001
    renderer = MailRenderer(mail_from="alerts@npa.example", base_url=mails.BASE, signer=mails.SIGNER,
                            actors_base_url="https://akteure.example")
    german, english = (mails.parse(render(renderer, kind, language)) for language in ("de", "en"))
    assert (german["Content-Language"], english["Content-Language"]) == ("de", "en")
    assert german["Subject"] != english["Subject"]
    (de_text, de_html), (en_text, en_html) = (  # a link's token carries the second it was made
        [TOKEN.sub("token=…", part) for part in mails.parts(message.as_bytes())] for message in (german, english))
    de_page, en_page = skeleton(de_html), skeleton(en_html)
    assert de_page.tags == en_page.tags  # one template: same elements, attributes and links
    assert (de_page.languages, en_page.languages) == ({"de"}, {"en"})
    assert mails.URL.findall(de_text) == mails.URL.findall(en_text)
    assert len(de_text.splitlines()) == len(en_text.splitlines())
    assert de_text != en_text
    assert ("Guten Tag" in de_text) and ("Hello" in en_text) and ("Guten Tag" not in en_text)
    for german_word in ("Handlungsfelder", "Abmelden", "keine Angabe", "landesweit", "Sie "):
        assert german_word not in en_text and german_word not in en_html, german_word


def test_a_round_renders_both_languages_without_one_leaking_into_the_other():
    renderer = MailRenderer(mail_from="alerts@npa.example", base_url=mails.BASE, signer=mails.SIGNER)
    texts = [mails.URL.sub("<link>", mails.parts(mails.item_mail(renderer, "offer_published", language))[0])
             for language in ("en", "de", "en", "de")]  # links carry a timestamp: compared without them
    assert texts[0] == texts[2] and texts[1] == texts[3]
    assert "Where:" in texts[0] and "Wo:" in texts[1]


def test_translations_reach_the_html_part_escaped():
    renderer = MailRenderer(mail_from="alerts@npa.example", base_url=mails.BASE, signer=mails.SIGNER)
    raw = mails.item_mail(renderer, "offer_published", "en", title="Kurs <b>A1</b>")
    _text, html = mails.parts(raw)
    assert 'View the offer "Kurs &lt;b&gt;A1&lt;/b&gt;"' in html and "<b>A1" not in html


def literal(node: ast.AST) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def test_no_word_list_per_language_is_left_in_the_mail_code():
    for name in ("formatting.py", "renderer.py"):
        tree = ast.parse((MAILS / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):  # no `lang == "de"` switch
                operands = [node.left, *node.comparators]
                assert not any(literal(operand) in ("de", "en") for operand in operands), (name, node.lineno)
            if isinstance(node, ast.Dict):  # no {"de": …, "en": …} and no {key: ("Deutsch", "German")}
                assert not {literal(key) for key in node.keys if key} & {"de", "en"}, (name, node.lineno)
                pairs = [value for value in node.values if isinstance(value, ast.Tuple) and len(value.elts) == 2
                         and all(isinstance(literal(elt), str) for elt in value.elts)]
                assert pairs == [], (name, node.lineno)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value != "en", (name, node.lineno)
    templates = sorted(path.name for path in (MAILS.parent / "templates" / "mail").iterdir())
    assert not [name for name in templates if re.search(r"\.(de|en)\.", name)]
    assert not [name for name in templates if "lang ==" in (MAILS.parent / "templates" / "mail" / name).read_text()]


def test_words_come_from_the_catalogue_and_from_babel():
    assert formatting.language_names(["de", "ar", "fa"], "de") == "Deutsch, Arabisch, Persisch"
    assert formatting.language_names(["de", "ar", "fa"], "en") == "German, Arabic, Persian"
    assert formatting.day("2027-01-11", "de") == "11.01.2027" and formatting.day("2027-01-11", "en") == "11 Jan 2027"
    assert formatting.audience({"target_groups": ["senioren"], "women_only": True}, "en") == "older people, women only"
    assert formatting.place_names(["03241", "03404", "03459", "03101"], "en").endswith(" and 1 more")
