"""A good example's lifecycle on the real broker: the events read back from `npa.examples.v1`."""

from npa.contracts import topics
from npa.contracts.envelope import decode
from npa.contracts.events import examples as example_events
from tests.integration.test_examples_api import EXAMPLE, create_draft, offers_with_actors, publish, staged_events
from tests.support.services import ADMIN, read_topic


async def test_draft_publish_update_withdraw_yield_one_event_each_with_rising_versions(kafka_bootstrap, database_url):
    async with offers_with_actors(kafka_bootstrap, database_url) as client:
        draft = await create_draft(client)
        example_id = draft["id"]
        assert (draft["status"], draft["version"]) == ("draft", 0)
        assert staged_events(client, example_id) == [], "a draft is not announced"

        published = await publish(client, example_id)
        assert (published["status"], published["version"]) == ("published", 1)
        assert (await publish(client, example_id)) == published, "publishing twice changes nothing"

        url = f"/api/v1/examples/{example_id}"
        identical = await client.patch(url, json={"title": EXAMPLE["title"], "fields": ["engagement", "sprache"],
                                                  "url": EXAMPLE["url"]}, headers=ADMIN)
        assert identical.status_code == 200 and identical.json() == published
        assert staged_events(client, example_id) == [(example_events.PUBLISHED, 1)]

        changed = await client.patch(url, json={"results": "150 Tandems seit Projektbeginn.", "district": None},
                                     headers=ADMIN)
        assert changed.status_code == 200, changed.text
        assert (changed.json()["version"], changed.json()["district"]) == (2, None)

        assert (await client.delete(url, headers=ADMIN)).status_code == 204
        assert (await client.delete(url, headers=ADMIN)).status_code == 204
        assert staged_events(client, example_id) == [
            (example_events.PUBLISHED, 1), (example_events.UPDATED, 2), (example_events.WITHDRAWN, 3)]
        assert (await client.get(url)).status_code == 404
        assert (await client.get(url, headers=ADMIN)).json()["status"] == "withdrawn"

        records = await read_topic(kafka_bootstrap, topics.EXAMPLES, expected=3)
        events = [decode(record.value) for record in records]
        assert [(e.type, e.data["version"], e.data["status"]) for e in events] == [
            ("de.npa.example.published", 1, "published"),
            ("de.npa.example.updated", 2, "published"),
            ("de.npa.example.withdrawn", 3, "withdrawn"),
        ]
        assert {record.key for record in records} == {example_id.encode()}
        assert all(e.subject == example_id and e.source == "/services/offers" for e in events)
        public_base_url = client.app.state.runtime.settings.public_base_url  # type: ignore[attr-defined]
        for event in events:
            state = example_events.ExampleEvent.model_validate(event.model_dump()).data
            assert state.page_url == f"{public_base_url}/examples/{example_id}"
            assert (state.title, state.actor_id, state.period) == (EXAMPLE["title"], EXAMPLE["actor_id"], "seit 2023")
            assert event.data["url"] == EXAMPLE["url"]
        assert (events[0].data["district"], events[0].data["results"]) == ("03351", EXAMPLE["results"])
        assert (events[1].data["district"], events[1].data["results"]) == (None, "150 Tandems seit Projektbeginn.")


async def test_a_discarded_draft_stays_quiet_and_a_withdrawn_example_can_return(kafka_bootstrap, sqlite_url):
    async with offers_with_actors(kafka_bootstrap, sqlite_url) as client:
        discarded = await create_draft(client, title="Verworfener Entwurf")
        url = f"/api/v1/examples/{discarded['id']}"
        await client.patch(url, json={"goals": "Noch offen, bitte ergänzen."}, headers=ADMIN)
        assert (await client.delete(url, headers=ADMIN)).status_code == 204
        assert (await client.get(url, headers=ADMIN)).json()["status"] == "withdrawn"
        assert staged_events(client, discarded["id"]) == [], "nobody outside the editors saw the draft"

        returning = await publish(client, (await create_draft(client))["id"])
        url = f"/api/v1/examples/{returning['id']}"
        assert (await client.delete(url, headers=ADMIN)).status_code == 204
        quiet_edit = await client.patch(url, json={"period": "2023 bis 2025"}, headers=ADMIN)
        assert (quiet_edit.json()["status"], quiet_edit.json()["version"]) == ("withdrawn", 2)
        again = await publish(client, returning["id"])
        assert (again["version"], again["period"]) == (3, "2023 bis 2025")

        records = await read_topic(kafka_bootstrap, topics.EXAMPLES, expected=3)
        assert [(decode(r.value).type, decode(r.value).data["version"]) for r in records] == [
            ("de.npa.example.published", 1), ("de.npa.example.withdrawn", 2), ("de.npa.example.published", 3)]
        assert {record.key for record in records} == {returning["id"].encode()}
