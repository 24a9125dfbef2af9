"""The sent and failed events the recorder stages carry exactly what the contract's model
would write (their data is built as a plain dict, one per mail)."""

import pytest

from npa.contracts.events import notifications as notification_events
from npa.infrastructure.outbox import utcnow
from services.notifications import domain
from services.notifications.models import Delivery, ItemSnapshot
from services.notifications.usecases import outcomes
from services.notifications.usecases.claims import DueMail


@pytest.mark.parametrize(("item_data", "event_type", "reason"), [
    ({"fields": ["sprache", "arbeit"], "district": "03241"}, notification_events.SENT, None),
    ({}, notification_events.FAILED, "550 mailbox unavailable"),
])
def test_the_staged_data_is_the_contracts_model_dump(item_data, event_type, reason):  # noqa: ANN001
    delivery = Delivery(id="d-1", subscription_id="s-1", kind=domain.ALERT, event_id="e-1",
                        event_type="de.npa.offer.published", item_id="o-1")
    item = ItemSnapshot(event_id="e-1", event_type="de.npa.offer.published", item_id="o-1", data=item_data)
    outcome = outcomes.Outcome(DueMail(delivery, None, item=item), outcomes.SENT, utcnow())
    staged = outcomes._announcement(outcome, event_type, reason)  # noqa: SLF001
    expected = notification_events.DeliveryOutcome(
        id="d-1", subscription_id="s-1", event_id="e-1", event_type="de.npa.offer.published", item_id="o-1",
        fields=item_data.get("fields", []), district=item_data.get("district"), reason=reason)
    assert staged.data == expected.model_dump(mode="json")
    assert (staged.type, staged.subject) == (event_type, "d-1")
