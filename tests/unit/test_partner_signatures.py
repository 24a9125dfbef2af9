"""Signatures of partner messages (ADR 0013): what is signed, what breaks a signature, the window."""

import base64
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from npa.contracts.envelope import decode, encode
from npa.contracts.signatures import (
    SignatureProblem,
    SigningKey,
    check_window,
    claimed_key_id,
    key_id_of,
    parse_public_key,
    public_key_text,
    signing_input,
    verify,
)
from npa.partner_client import cli, upserted

OFFER = {"title": "Deutschkurs A1", "fields": ["sprache"], "district": "03241"}


def test_a_signed_envelope_verifies_after_the_trip_over_the_wire():
    key = SigningKey.generate()
    event = decode(encode(key.sign(upserted("p-1", "kurs-1", OFFER))))
    assert claimed_key_id(event) == key.key_id == key_id_of(key.public_key)
    verify(event, key.public_key, key.key_id)


@pytest.mark.parametrize("change", [
    {"data": {"partner_id": "p-2", "external_id": "kurs-1", "offer": OFFER}},  # another partner's offer
    {"subject": "p-1:kurs-2"},
    {"source": "/partners/p-2"},
    {"type": "de.npa.partner.offer.deleted"},
    {"id": "00000000-0000-4000-8000-000000000000"},  # a copy with a new id (past the inbox)
])
def test_any_change_of_a_signed_part_breaks_the_signature(change):
    key = SigningKey.generate()
    event = key.sign(upserted("p-1", "kurs-1", OFFER))
    altered = decode(encode(event.model_copy(update=change)))
    with pytest.raises(SignatureProblem, match="npasignature: does not verify"):
        verify(altered, key.public_key, key.key_id)


def test_the_signed_time_is_the_instant_whatever_its_spelling():
    key = SigningKey.generate()
    event = key.sign(upserted("p-1", "kurs-1", OFFER))
    respelled = encode(event).replace(event.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode(),
                                      event.time.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00").encode())
    assert respelled != encode(event)
    assert signing_input(decode(respelled)) == signing_input(event)
    later = decode(encode(event.model_copy(update={"time": event.time + timedelta(microseconds=1)})))
    with pytest.raises(SignatureProblem):
        verify(later, key.public_key, key.key_id)


def test_another_key_and_unsigned_messages_are_refused():
    key, other = SigningKey.generate(), SigningKey.generate()
    with pytest.raises(SignatureProblem, match="does not verify"):
        verify(key.sign(upserted("p-1", "kurs-1", OFFER)), other.public_key, other.key_id)
    with pytest.raises(SignatureProblem, match="npasignature: missing"):
        claimed_key_id(upserted("p-1", "kurs-1", OFFER))


# The order of the Ed25519 group: S + L verifies on a lax verifier (a second signature of the same message).
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493


def _with_signature(event, raw: bytes):  # noqa: ANN001, ANN202
    return decode(encode(event.model_copy(update={"npasignature": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()})))


def test_a_malleated_cut_or_garbled_signature_is_refused_as_not_verifying():
    key = SigningKey.generate()
    event = key.sign(upserted("p-1", "kurs-1", OFFER))
    raw = base64.urlsafe_b64decode(event.npasignature + "=" * (-len(event.npasignature) % 4))
    s = int.from_bytes(raw[32:], "little")
    malleated = raw[:32] + (s + GROUP_ORDER).to_bytes(32, "little")
    verify(_with_signature(event, raw), key.public_key, key.key_id)  # the untouched one still verifies
    for bad in (malleated, raw[:63], raw + b"\0", b""):
        with pytest.raises(SignatureProblem, match="npasignature: does not verify with key"):
            verify(_with_signature(event, bad), key.public_key, key.key_id)
    with pytest.raises(SignatureProblem, match="does not verify"):
        verify(decode(encode(event.model_copy(update={"npasignature": "not base64!"}))), key.public_key, key.key_id)
    with pytest.raises(SignatureProblem, match="does not verify"):  # a stored key of the wrong size
        verify(event, key.public_key[:31], key.key_id)


def test_the_window_refuses_old_and_future_messages():
    event = upserted("p-1", "kurs-1", OFFER)
    now = datetime.now(UTC)
    check_window(event, now, timedelta(hours=72), timedelta(minutes=5))
    with pytest.raises(SignatureProblem, match="older than the replay window of 72 h"):
        check_window(event, now + timedelta(hours=73), timedelta(hours=72), timedelta(minutes=5))
    with pytest.raises(SignatureProblem, match="in the future"):
        check_window(event, now - timedelta(minutes=6), timedelta(hours=72), timedelta(minutes=5))


def test_public_keys_are_read_as_base64_or_pem():
    key = SigningKey.generate()
    text = public_key_text(key.public_key)
    assert parse_public_key(text) == key.public_key
    assert parse_public_key(text.replace("+", "-").replace("/", "_").rstrip("=")) == key.public_key
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    pem = Ed25519PublicKey.from_public_bytes(key.public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert parse_public_key(pem) == key.public_key
    for bad in ("AAAA", "not base64 at all!", "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"):
        with pytest.raises(ValueError):
            parse_public_key(bad)
    # 32 bytes but no signer's key: the neutral point (small order), a y with no point on the curve
    identity = Ed25519PublicKey.from_public_bytes(b"\x01" + b"\0" * 31).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for bad in (public_key_text(b"\x01" + b"\0" * 31), public_key_text(b"\0" * 32), identity,
                public_key_text(b"\x02" + b"\0" * 31)):
        with pytest.raises(ValueError, match="not a usable Ed25519 public key"):
            parse_public_key(bad)


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path, capsys):
    path = tmp_path / "partner.key"
    assert cli.main(["keygen", "--out", str(path)]) == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = SigningKey.from_file(str(path))
    out = capsys.readouterr().out
    assert key.key_id in out and public_key_text(key.public_key) in out
