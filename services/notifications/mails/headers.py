"""Header encoding that mail clients read the way we mean it."""

import email.policy
import re
from email.header import Header
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
        return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=WIRE_POLICY.linesep)}\r\n".encode()
    message = EmailMessage(policy=WIRE_POLICY)
    message[name] = value
    return message.as_bytes().removesuffix(b"\r\n")
