"""Signed subscriber links: purpose-bound, tamper-proof, confirm links expire after 7 days."""

from datetime import timedelta

import pytest

from services.notifications import tokens
from services.notifications.tokens import InvalidToken, SubscriberTokens

SECRET = "unit-test-secret"
DAY = 24 * 3600


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_round_trip_for_every_purpose():
    signer = SubscriberTokens(SECRET)
    for purpose in tokens.PURPOSES:
        assert signer.read(purpose, signer.sign(purpose, "sub-1")) == "sub-1"


def test_a_token_is_valid_only_for_its_purpose():
    signer = SubscriberTokens(SECRET)
    manage = signer.sign(tokens.MANAGE, "sub-1")
    with pytest.raises(InvalidToken):
        signer.read(tokens.UNSUBSCRIBE, manage)
    with pytest.raises(InvalidToken):
        signer.read(tokens.CONFIRM, manage)


def test_forged_or_foreign_tokens_are_rejected():
    token = SubscriberTokens("another-secret").sign(tokens.CONFIRM, "sub-1")
    with pytest.raises(InvalidToken) as raised:
        SubscriberTokens(SECRET).read(tokens.CONFIRM, token)
    assert not raised.value.expired
    with pytest.raises(InvalidToken):
        SubscriberTokens(SECRET).read(tokens.CONFIRM, "garbage")
    valid = SubscriberTokens(SECRET).sign(tokens.MANAGE, "sub-1")
    with pytest.raises(InvalidToken):
        SubscriberTokens(SECRET).read(tokens.MANAGE, valid.replace("sub", "sux") + "x")


def test_confirm_token_expires_after_seven_days():
    clock = Clock()
    signer = SubscriberTokens(SECRET, clock=clock)
    token = signer.sign(tokens.CONFIRM, "sub-1")
    clock.now += 7 * DAY - 60
    assert signer.read(tokens.CONFIRM, token) == "sub-1"
    clock.now += 120
    with pytest.raises(InvalidToken) as raised:
        signer.read(tokens.CONFIRM, token)
    assert raised.value.expired


def test_manage_tokens_expire_after_30_days_unsubscribe_tokens_never():
    """ADR 20: a manage link opens the subscriber's data, an unsubscribe link only stops mails."""
    clock = Clock()
    signer = SubscriberTokens(SECRET, clock=clock)
    manage, unsubscribe = signer.sign(tokens.MANAGE, "sub-1"), signer.sign(tokens.UNSUBSCRIBE, "sub-1")
    clock.now += 29 * DAY
    assert signer.read(tokens.MANAGE, manage) == "sub-1"
    clock.now += 2 * DAY
    with pytest.raises(tokens.InvalidToken) as expired:
        signer.read(tokens.MANAGE, manage)
    assert expired.value.expired
    clock.now += 3 * 365 * DAY
    assert signer.read(tokens.UNSUBSCRIBE, unsubscribe) == "sub-1"
    longer = SubscriberTokens(SECRET, clock=clock, manage_max_age=timedelta(days=4 * 365))
    assert longer.read(tokens.MANAGE, manage) == "sub-1"  # NPA_NOTIFICATIONS_MANAGE_LINK_DAYS


def test_links_carry_url_safe_tokens():
    signer = SubscriberTokens(SECRET)
    links = tokens.links("https://alerts.example", signer, "sub-1")
    token = links["unsubscribe"].split("token=", 1)[1]
    assert links["unsubscribe"].startswith("https://alerts.example/subscriptions/unsubscribe?token=")
    assert signer.read(tokens.UNSUBSCRIBE, token) == "sub-1"
    assert all(c.isalnum() or c in "-_." for c in token)
    assert tokens.confirm_link("https://alerts.example", signer, "sub-1").startswith(
        "https://alerts.example/subscriptions/confirm?token="
    )


def test_tokens_are_what_the_library_itself_would_sign():
    clock = Clock()
    signer = SubscriberTokens(SECRET, clock=clock)
    for purpose in tokens.PURPOSES:
        assert signer.sign(purpose, "0b6c3c3e-6b1f-4a43-9a55-2f0f5bb2a0a1") == \
            signer._serializers[purpose].dumps("0b6c3c3e-6b1f-4a43-9a55-2f0f5bb2a0a1")  # noqa: SLF001
