"""Ed25519 signatures of partner messages on `npa.partner.offers.v1` (ADR 0013).

A partner signs each envelope with its private key; the offers service holds only the public
key the partner registered, so it keeps no secret that could forge a partner's messages.

The signature travels in the envelope as two CloudEvents extension attributes:

- `npakeyid`: the key's id, `SHA-256(raw 32-byte public key)` as hex, first 32 characters;
- `npasignature`: the Ed25519 signature (64 bytes, base64url without padding) over the
  signing input below.

Signing input, the UTF-8 bytes of a JSON array (keys sorted, no spaces, non-ASCII kept):

    ["npa-partner-signature-1", id, source, type, subject, time_us, data]

where `time_us` is the envelope's `time` as whole microseconds since the Unix epoch (so any
RFC 3339 spelling of the same instant signs the same) and `data` the envelope's data object.
The signed `time` is what the replay window checks (see `check_window`).
"""

import base64
import functools
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from npa.contracts.envelope import CloudEvent

SCHEME = "npa-partner-signature-1"
KEY_ID = "npakeyid"
SIGNATURE = "npasignature"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SignatureProblem(ValueError):
    """Why a message's signature is not accepted; the text names the attribute at fault."""


def key_id_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:32]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_public_key(text: str) -> bytes:
    """A registered public key: 32 raw bytes as base64 (standard or url-safe), or a PEM
    `PUBLIC KEY` block as `openssl pkey -pubout` writes it. Raises ValueError."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as error:
            raise ValueError("not a PEM public key") from error
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return _usable(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    try:
        raw = _unb64(text.replace("+", "-").replace("/", "_").rstrip("="))
    except ValueError as error:
        raise ValueError("not base64") from error
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, this has {len(raw)}")
    return _usable(raw)


def _usable(raw: bytes) -> bytes:
    """Refuses 32 bytes that are no key a signer can have: not a point of the curve, or one of
    small order (e.g. all zeros). libsodium, which verifies, would refuse every signature made
    with such a key; saying so at registration names the real problem."""
    if not crypto_core_ed25519_is_valid_point(raw):
        raise ValueError("not a usable Ed25519 public key (no point of the curve's prime-order group; "
                         "`npa-partner keygen` or `openssl genpkey -algorithm ed25519` makes one)")
    return raw


def public_key_text(public_key: bytes) -> str:
    return base64.b64encode(public_key).decode("ascii")


def time_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def signing_input(event: CloudEvent) -> bytes:
    document: list[Any] = [SCHEME, event.id, event.source, event.type, event.subject, time_us(event.time), event.data]
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class SigningKey:
    """A partner's private key with its id (loaded from a PKCS#8 PEM file, e.g. from
    `npa-partner keygen` or `openssl genpkey -algorithm ed25519`)."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                                serialization.PublicFormat.Raw)
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> "SigningKey":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    @classmethod
    def from_file(cls, path: str) -> "SigningKey":
        with open(path, "rb") as file:
            return cls.from_pem(file.read())

    def pem(self) -> bytes:
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    def sign(self, event: CloudEvent) -> CloudEvent:
        """The same envelope with `npakeyid` and `npasignature` set."""
        unsigned = event.model_copy(update={KEY_ID: None, SIGNATURE: None}) if _extension(event, KEY_ID) else event
        signature = self._key.sign(signing_input(unsigned))
        return unsigned.model_copy(update={KEY_ID: self.key_id, SIGNATURE: _b64(signature)})


def _extension(event: CloudEvent, name: str) -> Any:
    return (event.model_extra or {}).get(name)


def claimed_key_id(event: CloudEvent) -> str:
    """The key id a message names; raises SignatureProblem when it is unsigned."""
    key_id, signature = _extension(event, KEY_ID), _extension(event, SIGNATURE)
    if not signature:
        raise SignatureProblem(f"{SIGNATURE}: missing; messages on the partner topic must be signed "
                               "(docs/partner-client.md)")
    if not isinstance(key_id, str) or not key_id or not isinstance(signature, str):
        raise SignatureProblem(f"{KEY_ID}: missing or not a string beside {SIGNATURE}")
    return key_id


def verify(event: CloudEvent, public_key: bytes, key_id: str) -> None:
    """Raises SignatureProblem unless `npasignature` is the key's signature of the envelope.

    Verified by libsodium (PyNaCl), not by OpenSSL through `cryptography`, which signs and reads
    keys: 69 µs against 127 µs a signature here, and verifying was a fifth of the offers
    service's CPU while ingesting (ADR 13, 2026-12-03). libsodium is the stricter of the two (it
    also refuses small-order keys and non-canonical encodings, which no honest signer produces)."""
    try:
        signature = _unb64(_extension(event, SIGNATURE))
        _verify_key(public_key).verify(signing_input(event), signature)
    except (CryptoError, ValueError, UnicodeEncodeError) as error:
        raise SignatureProblem(f"{SIGNATURE}: does not verify with key {key_id} (altered, or signed with "
                               "another key)") from error


@functools.lru_cache(maxsize=1024)
def _verify_key(raw: bytes) -> VerifyKey:
    """One per key: making it checks the key's bytes, which need not be done for every message."""
    return VerifyKey(raw)


def check_window(event: CloudEvent, now: datetime, max_age: timedelta, max_skew: timedelta) -> None:
    """The signed `time` must lie in [now - max_age, now + max_skew]: an older message is a
    replay (or was delayed past the window); its id may already be gone from the inbox."""
    moment = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    if moment < now - max_age:
        raise SignatureProblem(f"time: signed at {moment.isoformat()}, older than the replay window of "
                               f"{max_age.total_seconds() / 3600:g} h; sign and send the change again")
    if moment > now + max_skew:
        raise SignatureProblem(f"time: signed at {moment.isoformat()}, more than "
                               f"{max_skew.total_seconds():g} s in the future; check the partner system's clock")
