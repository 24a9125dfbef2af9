"""A row the database refuses at commit rolls back only itself, not the good rows of its chunk."""

from sqlalchemy import text

from npa.contracts import topics
from npa.contracts.envelope import decode
from tests.integration.test_partner_import import JSONL, jsonl
from tests.support.offers import OFFER, bearer, create_partner, register_actor
from tests.support.services import read_topic, running_service, service_settings

# A real SQLite trigger: inserting this external id fails with a constraint error at flush time,
# as a concurrent insert of the same (partner_id, external_id) would.
POISON_TRIGGER = """
CREATE TRIGGER refuse_poison BEFORE INSERT ON offers WHEN NEW.external_id = 'poison'
BEGIN SELECT RAISE(ABORT, 'poison offers are refused'); END
"""


async def test_a_row_refused_at_commit_does_not_roll_back_the_good_rows(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        with client.app.state.runtime.engine.begin() as connection:  # type: ignore[attr-defined]
            connection.execute(text(POISON_TRIGGER))

        body = jsonl(*({"external_id": external_id, "offer": OFFER} for external_id in ("gut-1", "poison", "gut-2")))
        response = await client.post(f"/api/v1/partners/{partner['id']}/offers:import", content=body,
                                     headers={**JSONL, **bearer(partner)})
        assert response.status_code == 200, response.text
        rows = response.json()["rows"]
        assert [row["result"] for row in rows] == ["created", "rejected", "created"]
        assert "poison offers are refused" in rows[1]["errors"][0]["msg"] and rows[1]["offer_id"] is None
        for row in (rows[0], rows[2]):
            assert (await client.get(f"/api/v1/offers/{row['offer_id']}")).json()["status"] == "published"

        events = await read_topic(kafka_bootstrap, topics.OFFERS, expected=3, timeout=2)
        assert sorted(decode(record.value).subject for record in events) == sorted(
            [rows[0]["offer_id"], rows[2]["offer_id"]]), "the refused row's event must be rolled back with it"
