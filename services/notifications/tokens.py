"""Signed links for subscribers: confirm, manage and unsubscribe.

Each purpose has its own salt, so a manage token cannot be replayed as a confirm token.
The confirm token expires after 7 days, the manage token (preferences, export of my data,
erasure) after `manage_max_age` (30 days by default; every alert brings a fresh one), so a
forwarded or leaked old mail does not open someone's data for ever. Unsubscribe links do not
expire: RFC 8058 mail clients and people use them long after a mail arrived, and the worst a
leaked one can do is stop alerts. All are bound to the subscription id and lose their power
when that subscription is cancelled (ADR 20).
"""

import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes

CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"
PURPOSES = (CONFIRM, MANAGE, UNSUBSCRIBE)
CONFIRM_MAX_AGE = timedelta(days=7)
MANAGE_MAX_AGE = timedelta(days=30)


class InvalidToken(ValueError):
    """The token is forged, for another purpose, or expired."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


class SubscriberTokens:
    def __init__(self, secret_key: str, clock: Callable[[], float] = time.time,
                 manage_max_age: timedelta = MANAGE_MAX_AGE) -> None:
        self._max_ages = {CONFIRM: int(CONFIRM_MAX_AGE.total_seconds()),
                          MANAGE: int(manage_max_age.total_seconds()), UNSUBSCRIBE: None}
        class Signer(TimestampSigner):
            def get_timestamp(self) -> int:  # both signing and the age check use it
                return int(clock())

        self._serializers = {
            purpose: URLSafeTimedSerializer(secret_key, salt=f"npa.notifications.{purpose}", signer=Signer)
            for purpose in PURPOSES
        }
        self._clock = clock
        # What the signer does per token (derive the key, build an HMAC), done once per purpose:
        # itsdangerous's SHA-1 is a Python function, which sends hmac down its slow path.
        self._macs = {}
        for purpose, serializer in self._serializers.items():
            signer = serializer.make_signer()
            self._macs[purpose] = hmac.new(signer.derive_key(), digestmod=signer.digest_method().name)
        self._second = -1
        self._signed_this_second: dict[tuple[str, str, int], str] = {}  # (purpose, id, second) → token

    def sign(self, purpose: str, subscription_id: str) -> str:
        """What `URLSafeTimedSerializer.dumps` writes for a short id (never worth compressing),
        without building a signer, deriving its key and trying zlib per call: two links per
        mail, ten thousand mails per fan-out. A token depends only on the purpose, the id and
        the second, so one signed within the same second is given again: in steady traffic a
        subscriber gets several mails a second, and signing was a sixth of rendering them
        (ADR 23, 2026-11-30 evening)."""
        second = int(self._clock())
        if second != self._second:
            self._signed_this_second.clear()
            self._second = second
        key = (purpose, subscription_id, second)  # the second too: a thread may have cleared meanwhile
        token = self._signed_this_second.get(key)
        if token is None:
            payload = base64_encode(json.dumps(subscription_id, separators=(",", ":")).encode())
            value = payload + b"." + base64_encode(int_to_bytes(second))
            mac = self._macs[purpose].copy()
            mac.update(value)
            token = self._signed_this_second[key] = (value + b"." + base64_encode(mac.digest())).decode("ascii")
        return token

    def read(self, purpose: str, token: str) -> str:
        """The subscription id the token was issued for."""
        max_age = self._max_ages[purpose]
        try:
            value = self._serializers[purpose].loads(token, max_age=max_age)
        except SignatureExpired as error:
            raise InvalidToken("token expired", expired=True) from error
        except BadSignature as error:
            raise InvalidToken("token invalid") from error
        if not isinstance(value, str):
            raise InvalidToken("token invalid")
        return value


def links(base_url: str, tokens: SubscriberTokens, subscription_id: str) -> dict[str, str]:
    """The manage and unsubscribe URLs every alert mail carries."""
    return {
        "manage": f"{base_url}/subscriptions/manage?token={tokens.sign(MANAGE, subscription_id)}",
        "unsubscribe": f"{base_url}/subscriptions/unsubscribe?token={tokens.sign(UNSUBSCRIBE, subscription_id)}",
    }


def confirm_link(base_url: str, tokens: SubscriberTokens, subscription_id: str) -> str:
    return f"{base_url}/subscriptions/confirm?token={tokens.sign(CONFIRM, subscription_id)}"
