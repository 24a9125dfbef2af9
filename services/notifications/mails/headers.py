"""Header encoding that mail clients read the way we mean it."""

import email.policy
import re
from email import base64mime, quoprimime
from email.header import MAXLINELEN, Header
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from functools import lru_cache


class _OneLineHeader(UnstructuredHeader):
    """RFC 2369 headers carry URLs that mail clients read verbatim, but the default folding
    turns a URL longer than a line into an RFC 2047 encoded word. Lines may be up to 998
    characters (RFC 5322 §2.1.1), so these headers are written unfolded."""

    def fold(self, *, policy: email.policy.Policy) -> str:  # type: ignore[override]
        return f"{self.name}: {self}{policy.linesep}"


class _EncodedSubjectHeader(UnstructuredHeader):
    """The default folder can lose or double the space next to an encoded word when it
    folds a long non-ASCII subject (e.g. `Abschlüssen – landesweit` became `Abschlüssen–`).
    The legacy encoder splits the text into whole encoded words and keeps every space."""

    def fold(self, *, policy: email.policy.Policy) -> str:  # type: ignore[override]
        text = str(self)
        if text.isascii():
            return super().fold(policy=policy)
        encoded = Header(text, "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _OneLineHeader)
_HEADERS.map_to_type("subject", _EncodedSubjectHeader)
MAIL_POLICY = email.policy.default.clone(header_factory=_HEADERS)
WIRE_POLICY = MAIL_POLICY.clone(linesep="\r\n")
_PLAIN = re.compile(r"[^\x00-\x1f\x7f]*\S")  # no control characters, no trailing blank: parsed as written


def encoded_headers(**headers: str) -> bytes:
    """`From`, `Subject` … as they go on the wire (encoded words, folded), CRLF-terminated."""
    return b"".join(encoded_header(name.replace("_", "-"), value) for name, value in headers.items())


@lru_cache(maxsize=1024)
def encoded_header(name: str, value: str) -> bytes:
    """One header line as `encoded_headers` writes it. Cached: the From header is the same on
    every mail, and steady traffic renders a mail per offer (building an EmailMessage took
    0.5 ms of it, ADR 23). A plain non-ASCII subject goes straight to the encoder that
    `_EncodedSubjectHeader.fold` calls; anything else through the message as before."""
    if name.lower() == "subject" and not value.isascii() and _PLAIN.fullmatch(value):
        words = None if _LINE_BREAKS.intersection(value) else _encoded_words(value, first_room=MAXLINELEN - len(name) - 2)
        if words is None:
            return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=WIRE_POLICY.linesep)}\r\n".encode()
        return f"{name}: {_FOLD.join(words)}\r\n".encode()
    message = EmailMessage(policy=WIRE_POLICY)
    message[name] = value
    return message.as_bytes().removesuffix(b"\r\n")


_LINE_BREAKS = frozenset("\x85\u2028\u2029")  # str.splitlines() breaks there: the Header path handles them
_FOLD = WIRE_POLICY.linesep + " "
_CHROME = len("=?utf-8?q??=")


def _encoded_words(text: str, *, first_room: int) -> list[str] | None:
    """The encoded words `Header(text, "utf-8").encode()` writes, found in one pass.

    `email.charset.header_encode_lines` encodes the growing line again after every character to
    see whether it still fits (quadratic, each step a generator over every octet): for a subject
    that is new with every offer that was ~0.4 ms, a quarter of rendering one steady-traffic
    offer for its four readers (ADR 23, 2026-11-30 evening). Same choice (base64 only when it is
    shorter for the whole text), same split points: a character's quoted-printable length is the
    sum of its octets', a base64 word's length follows from its octets. None when nothing fits
    the first line (the Header path then decides)."""
    data = text.encode("utf-8")
    base64 = base64mime.header_length(data) < quoprimime.header_length(data)
    encode = base64mime.header_encode if base64 else quoprimime.header_encode
    words: list[str] = []
    room, start, octets, length = first_room - _CHROME, 0, 0, 0
    for index, character in enumerate(text):
        size = len(character.encode("utf-8"))
        cost = 0 if base64 else _qp_length(character)
        if ((octets + size + 2) // 3 * 4 if base64 else length + cost) > room:
            if index == start:
                return None
            words.append(encode(text[start:index].encode("utf-8"), "utf-8"))
            room, start, octets, length = MAXLINELEN - 1 - _CHROME, index, 0, 0
        octets += size
        length += cost
    words.append(encode(text[start:].encode("utf-8"), "utf-8"))
    return words


@lru_cache(maxsize=4096)
def _qp_length(character: str) -> int:
    return quoprimime.header_length(character.encode("utf-8"))
