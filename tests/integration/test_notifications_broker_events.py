"""Good examples, new actors, offer updates and withdrawals through the real broker, into a real
SMTP server, on SQLite and PostgreSQL: each becomes the right mail, or none."""

import json

from npa.contracts import topics
from npa.contracts.envelope import encode, new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from tests.integration.test_notifications_flow import (  # noqa: F401  (fast_retries: the fixture applies here too)
    HANNOVER,
    deliveries_for,
    fast_retries,
    notifications,
    offer_event,
    processed,
    publish,
    subscribe_and_confirm,
)
from tests.support.services import eventually, produce, read_topic


async def test_examples_actors_updates_and_withdrawals_over_the_broker(database_url, kafka_bootstrap, smtp_sink):  # noqa: ANN001
    address = "koordination@example.org"
    async with notifications(database_url, kafka_bootstrap, smtp_sink) as client:
        await subscribe_and_confirm(client, smtp_sink, address, regions=["Leine-Weser"], examples=True,
                                    new_actors=True)
        example = new_event(source=example_events.SOURCE, type=example_events.PUBLISHED, subject="example-1",
                            data=example_events.ExampleState(id="example-1", version=1, status="published",
                                                             title="Sprachpaten im Quartier", fields=["sprache"],
                                                             district=HANNOVER).model_dump(mode="json"))
        actor = new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject="actor-1",
                          data=actor_events.ActorState(id="actor-1", version=1, name="Lernhaus Linden",
                                                       kind="initiative", districts=[],
                                                       fields=["sprache"]).model_dump(mode="json"))
        await produce(kafka_bootstrap, topics.EXAMPLES, encode(example), key=b"example-1")
        await produce(kafka_bootstrap, topics.ACTORS, encode(actor), key=b"actor-1")
        offer = offer_event(fields=["sprache"], district=HANNOVER, title="Lernwerkstatt")
        await publish(kafka_bootstrap, offer)
        quiet = offer_event(fields=["sprache"], district=HANNOVER, title="Lernwerkstatt", offer_id=offer.subject,
                            version=2, event_type=offer_events.UPDATED)
        await publish(kafka_bootstrap, quiet)  # changed_fields empty: nothing a reader needs to know

        def subjects() -> list[str]:
            return sorted(str(m["Subject"]) for m in smtp_sink.handler.to(address) if "bestätigen" not in m["Subject"])

        expected = ["Gutes Beispiel: Sprachpaten im Quartier – Region Hannover",
                    "Neu im Bündnis: Lernhaus Linden – landesweit", "Neues Angebot: Lernwerkstatt – Region Hannover"]
        assert await eventually(lambda: subjects() == expected or None, timeout=20)
        await processed(client, quiet.id)
        assert deliveries_for(client, quiet.id) == []

        withdrawn = offer_event(fields=["sprache"], district=HANNOVER, title="Lernwerkstatt", offer_id=offer.subject,
                                version=3, event_type=offer_events.WITHDRAWN)
        await publish(kafka_bootstrap, withdrawn)
        notice = await eventually(lambda: next((m for m in smtp_sink.handler.to(address)
                                                if "zurückgezogen" in m["Subject"]), None), timeout=20)
        assert notice["Subject"] == "Angebot zurückgezogen: Lernwerkstatt – Region Hannover"
        records = await read_topic(kafka_bootstrap, topics.NOTIFICATIONS, expected=5)
        sent = [json.loads(r.value)["data"]["event_type"] for r in records
                if json.loads(r.value)["type"] == notification_events.SENT]
        assert sorted(sent) == sorted([example_events.PUBLISHED, actor_events.REGISTERED, offer_events.PUBLISHED,
                                       offer_events.WITHDRAWN])
