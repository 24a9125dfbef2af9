"""Deliveries: one mail to one subscriber about one event, and the SMTP rules for sending it."""

import re
import uuid

# States: `skipped` is a mail deliberately not sent (the subscription was cancelled, the
# offer withdrawn before its alert left); nothing failed, so nothing is announced.
DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_FAILED, DELIVERY_SKIPPED = "pending", "sent", "failed", "skipped"
DELIVERY_STATES = (DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_FAILED, DELIVERY_SKIPPED)

# Kinds. An alert tells of something new (offer, good example, actor); an update tells those
# alerted before what changed in an offer; a withdrawal notice tells them it is gone; a digest
# answers no single event (its event_id is the digest's id); a confirmation answers a
# subscribe request (its event_id is the request's own id).
CONFIRMATION, ALERT, UPDATE, WITHDRAWAL, DIGEST = "confirmation", "alert", "update", "withdrawal", "digest"
DELIVERY_KINDS = (CONFIRMATION, ALERT, UPDATE, WITHDRAWAL, DIGEST)
ITEM_MAIL_KINDS = (ALERT, UPDATE, WITHDRAWAL)  # answer one bus event about one item
TOLD_ABOUT_ITEM = (ALERT, UPDATE)

_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_MESSAGE_ID_NAMESPACE = uuid.UUID("8f1b8f0e-3f5e-4c55-9b7a-6c1f0d2a4e11")


def is_permanent_smtp_code(code: int | None) -> bool:
    """5xx replies are final (RFC 5321 §4.2.1); 4xx and no reply at all are worth a retry."""
    return code is not None and 500 <= code < 600


def failure_reason(code: int | None, *, timed_out: bool = False) -> str:
    """A bounded label for metrics: the reply's class, or what went wrong without one."""
    if code is not None and 400 <= code < 600:
        return f"smtp_{code // 100}xx"
    return "timeout" if timed_out else "connection"


def redact_addresses(text: str) -> str:
    """SMTP replies often quote the recipient; nothing we store or log may keep it."""
    return _ADDRESS.sub("<address>", text)


def message_id(subscription_id: str, event_id: str, domain: str) -> str:
    """The same (subscription, event) always yields the same Message-ID, so a mail that
    is sent twice after a crash can be recognised as one by the receiving side."""
    return f"<{uuid.uuid5(_MESSAGE_ID_NAMESPACE, f'{subscription_id}:{event_id}')}@{domain}>"
