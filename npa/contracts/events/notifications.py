"""Events on `npa.notifications.v1`. They never carry an e-mail address."""

from pydantic import BaseModel

from npa.contracts.envelope import CloudEvent

SOURCE = "/services/notifications"
SENT = "de.npa.notification.sent"
FAILED = "de.npa.notification.failed"
SUBSCRIPTION_CONFIRMED = "de.npa.subscription.confirmed"
SUBSCRIPTION_CANCELLED = "de.npa.subscription.cancelled"
TYPES = (SENT, FAILED, SUBSCRIPTION_CONFIRMED, SUBSCRIPTION_CANCELLED)


class DeliveryOutcome(BaseModel):
    """`data` of sent/failed: the delivery, the event it answered, no recipient address."""

    id: str
    version: int = 1
    subscription_id: str
    event_id: str
    event_type: str
    item_id: str
    fields: list[str] = []
    district: str | None = None
    reason: str | None = None


class SubscriptionChange(BaseModel):
    id: str
    version: int
    fields: list[str]
    regions: list[str]
    frequency: str
    language: str


class NotificationEvent(CloudEvent):
    """The envelope as it travels on the topic (documents the AsyncAPI catalogue)."""

    data: DeliveryOutcome | SubscriptionChange  # type: ignore[assignment]
