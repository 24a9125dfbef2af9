"""Accessible HTML in every kind of mail: language, one title then sections, link texts that say
where they lead, alt texts on images (there are none), and WCAG AA contrast for text colours."""

import re
from html.parser import HTMLParser

import pytest

from tests.unit import test_notifications_mails as mails

class Structure(HTMLParser):
    """What an accessibility check looks at: language, headings, images, links, colours."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[tuple[str, str]] = []
        self.images_without_alt = 0
        self.link_texts: list[str] = []
        self.colours: set[str] = set()
        self._open: str | None = None
        self._text = ""

    @classmethod
    def of(cls, html: str) -> "Structure":
        parser = cls()
        parser.feed(html)
        return parser

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "img" and not values.get("alt"):
            self.images_without_alt += 1
        self.colours |= set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", values.get("style") or ""))
        if tag in ("h1", "h2", "h3", "a"):
            self._open, self._text = tag, ""

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            if tag == "a":
                self.link_texts.append(self._text.strip())
            else:
                self.headings.append((tag, self._text.strip()))
            self._open = None


def contrast_on_white(colour: str) -> float:
    """WCAG 2.x contrast ratio of a text colour on a white background."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", mails.KINDS)
def test_html_is_accessible(kind, language):  # noqa: ANN001
    renderer = mails.MailRenderer(mail_from="alerts@npa.example", base_url=mails.BASE, signer=mails.SIGNER)
    _, html = mails.parts(mails.item_mail(renderer, kind, language))
    structure = Structure.of(html)
    assert structure.lang == language
    assert structure.headings and structure.headings[0][0] == "h1"  # one title, then sections
    assert structure.images_without_alt == 0
    assert all(text and text.lower() not in ("hier", "here", "link") for text in structure.link_texts)
    assert structure.colours and all(contrast_on_white(colour) >= 4.5 for colour in structure.colours), \
        structure.colours  # WCAG AA for body text


def test_digest_headings_nest_title_sections_items():
    renderer = mails.MailRenderer(mail_from="alerts@npa.example", base_url=mails.BASE, signer=mails.SIGNER)
    _, html = mails.parts(mails.render_digest(renderer))
    assert Structure.of(html).headings == [
        ("h1", "Ihre Tagesübersicht vom 26.11.2026"), ("h2", "Neue Angebote"), ("h3", "Deutschkurs A1"),
        ("h2", "Geänderte Angebote"), ("h3", "Sprachcafé"), ("h2", "Zurückgezogene Angebote"),
        ("h2", "Gute Beispiele"), ("h3", "Sprachpaten im Quartier"), ("h2", "Neu im Bündnis"),
        ("h3", "Caritasverband Osnabrück")]
