"""Mails as prebuilt bytes: rendered once per (template, language, item), completed per recipient.

Building an `EmailMessage` per recipient costs about a millisecond; here the templates are
rendered once with placeholders where the recipient's links go, and quoted-printable encoded
once too: each literal fragment is encoded on its own and, unless it ends a line, closed by a
soft line break, so a recipient's link (encoded alone, a few dozen bytes) starts on a fresh
line. A decoder joins soft breaks, so the text is exactly the rendered one; a recipient's
mail is the joined bytes framed by fixed headers (ADR 10: 90 µs less per mail).
"""

import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import escape

from services.notifications.mails.headers import encoded_headers

MARK = "\x00"  # wraps a placeholder name in rendered text; never part of real content
SOFT_BREAK = b"=\r\n"


def placeholder(name: str) -> str:
    return f"{MARK}{name}{MARK}"


def _fragments(rendered: str) -> tuple[str, ...]:
    """`a\\0manage\\0b` → ("a", "manage", "b"): literals at even, placeholder names at odd places."""
    return tuple(rendered.replace("\r\n", "\n").replace("\r", "\n").split(MARK))


def _qp(text: str) -> bytes:
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def _encoded(fragments: tuple[str, ...]) -> tuple[bytes | str, ...]:
    """Literals (even places) encoded, each ending at a line's end or on a soft break; names kept."""
    last = len(fragments) - 1
    return tuple(
        name if index % 2 else _qp(name) + (SOFT_BREAK if name and not name.endswith("\n") and index < last else b"")
        for index, name in enumerate(fragments))


def _fill(parts: tuple[bytes | str, ...], values: Mapping[str, str]) -> bytes:
    last = len(parts) - 1
    return b"".join(part if index % 2 == 0 else _qp(values[part]) + (SOFT_BREAK if index < last else b"")
                    for index, part in enumerate(parts))  # type: ignore[misc]


@dataclass(frozen=True)
class PreparedMail:
    """A mail without its recipient: static headers and both bodies with link placeholders."""

    head: bytes
    text: tuple[bytes | str, ...]  # encoded literals at even places, placeholder names at odd ones
    html: tuple[bytes | str, ...]
    boundary: bytes
    one_click: bool  # carries List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058)

    @classmethod
    def build(cls, *, mail_from: str, subject: str, language: str, text: str, html: str,
              one_click: bool) -> "PreparedMail":
        # "=_" never occurs in quoted-printable text, so the boundary cannot collide with a body.
        boundary = b"=_npa_" + hashlib.sha1((subject + language).encode()).hexdigest()[:24].encode()
        head = (encoded_headers(From=mail_from, Subject=subject)
                + b"Auto-Submitted: auto-generated\r\n"  # RFC 3834: no vacation replies, please
                + b"MIME-Version: 1.0\r\n"
                + b"Content-Language: " + language.encode("ascii") + b"\r\n"
                + b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n')
        return cls(head, _encoded(_fragments(text)), _encoded(_fragments(html)), boundary, one_click)

    def for_recipient(self, *, to: str, date: str, message_id: str, links: Mapping[str, str]) -> bytes:
        """The whole mail for one recipient. `links` holds plain URLs; the HTML part gets them escaped."""
        to = to.replace("\r", "").replace("\n", "")
        head = [b"To: " + to.encode("utf-8"), b"Date: " + date.encode("ascii"),
                b"Message-ID: " + message_id.encode("ascii")]
        if self.one_click:
            head.append(b"List-Unsubscribe: <" + links["unsubscribe"].encode("ascii") + b">")
            head.append(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        html_links = {name: str(escape(url)) for name, url in links.items()}
        part = b"\r\n--" + self.boundary + b"\r\n"
        encoding = b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        return b"".join((
            b"\r\n".join(head), b"\r\n", self.head, b"\r\n",
            part[2:], b'Content-Type: text/plain; charset="utf-8"\r\n', encoding, _fill(self.text, links),
            part, b'Content-Type: text/html; charset="utf-8"\r\n', encoding, _fill(self.html, html_links),
            b"\r\n--", self.boundary, b"--\r\n",
        ))
