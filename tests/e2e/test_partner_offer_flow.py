"""Issue #2's thin flow across four real service processes, the real broker and a real SMTP server:
actor → partner → offer → e-mail alert and report numbers → withdrawal, plus the bad-input paths."""

import re

import httpx
import pytest

from npa.contracts import topics
from npa.contracts.envelope import decode, encode, new_event
from npa.contracts.events import partner_offers as partner_events
from npa.contracts.signatures import SigningKey, public_key_text
from tests.support.services import ADMIN, eventually, produce, read_topic

pytestmark = pytest.mark.e2e

OFFER = {"title": "Deutschkurs A1 am Vormittag", "fields": ["sprache"], "district": "03241", "city": "Hannover",
         "languages": ["de", "ar"], "costs": "kostenlos", "starts_on": "2027-02-01", "ends_on": "2027-06-30"}
SUBSCRIBER = "helferin@example.org"


def link_in(message, path: str) -> str:  # noqa: ANN001
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"https?://[^\s<>\"]+{re.escape(path)}\?token=[\w.\-]+", text)
    assert match, f"no {path} link in:\n{text}"
    return match.group(0)


def coverage(client: httpx.Client, url: str, district: str, field: str) -> int:
    rows = client.get(f"{url}/api/v1/reports/coverage", params={"level": "district"}).json()["rows"]
    return next(r["active_offers"] for r in rows if r["district"] == district and r["field"] == field)


async def test_offer_travels_from_partner_to_inbox_and_report(platform, smtp_sink):  # noqa: ANN001
    urls = platform.urls
    with httpx.Client(timeout=10) as client:
        # 1. an editor registers an actor → de.npa.actor.registered
        actor = client.post(f"{urls['actors']}/api/v1/actors", headers=ADMIN, json={
            "name": "Volkshochschule Hannover", "kind": "bildungstraeger", "districts": ["03241"], "fields": ["sprache"]})
        assert actor.status_code == 201, actor.text
        actor_id = actor.json()["id"]
        registered = decode((await read_topic(platform.bootstrap, topics.ACTORS, expected=1))[0].value)
        assert (registered.type, registered.subject) == ("de.npa.actor.registered", actor_id)

        # 3a. a volunteer subscribes to "sprache" and confirms through the link in the real mail
        answer = client.post(f"{urls['notifications']}/api/v1/subscriptions",
                             json={"email": SUBSCRIBER, "fields": ["sprache"], "regions": [], "frequency": "immediate",
                                   "language": "de"})
        assert answer.status_code == 202, answer.text
        confirmation = smtp_sink.handler.wait_for(1)[0]
        assert confirmation["To"] == SUBSCRIBER
        confirmed = client.get(link_in(confirmation, "/subscriptions/confirm"))
        assert confirmed.status_code == 200

        # 2. the admin creates a partner (once the actor has reached the offers service); the partner PUTs an offer
        async def create_partner():
            response = client.post(f"{urls['offers']}/api/v1/partners", headers=ADMIN,
                                   json={"name": "Kursdatenbank Hannover", "actor_id": actor_id})
            return response.json() if response.status_code == 201 else None

        partner = await eventually(create_partner)
        assert partner["api_key"].startswith("npa_")
        key = {"Authorization": f"Bearer {partner['api_key']}"}
        offer_url = f"{urls['offers']}/api/v1/partners/{partner['id']}/offers/kurs-a1"
        created = client.put(offer_url, headers=key, json=OFFER)
        assert created.status_code == 201, created.text
        offer = created.json()
        published = decode((await read_topic(platform.bootstrap, topics.OFFERS, expected=1))[0].value)
        assert (published.type, published.subject) == ("de.npa.offer.published", offer["id"])

        # 3b. exactly one alert mail naming the offer, with a working one-click unsubscribe
        alert = smtp_sink.handler.wait_for(2)[1]
        assert alert["To"] == SUBSCRIBER
        assert "Deutschkurs A1 am Vormittag" in alert["Subject"]
        assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe_url = alert["List-Unsubscribe"].strip("<>")
        text = alert.get_body(preferencelist=("plain",)).get_content()
        assert "Region Hannover" in text and f"/offers/{offer['id']}" in text
        assert alert.get_body(preferencelist=("html",)) is not None
        assert client.get(f"{urls['offers']}/offers/{offer['id']}").status_code == 200

        # 4. the report counts the offer …
        await eventually(lambda: coverage(client, urls["reports"], "03241", "sprache") == 1)

        # 5. the same PUT again changes nothing and publishes nothing
        again = client.put(offer_url, headers=key, json=OFFER)
        assert (again.status_code, again.json()["result"]) == (200, "unchanged")
        bad = client.put(offer_url, headers=key, json={**OFFER, "district": "09162", "fields": ["kochen"]})
        assert bad.status_code == 422
        assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("body", "district"), ("body", "fields")}

        # … and a malformed partner message is parked on the DLQ while the consumer goes on
        await produce(platform.bootstrap, topics.PARTNER_OFFERS, b'{"specversion": "1.0", "oops"',
                      key=f"{partner['id']}:kurs-b1".encode())
        good = new_event(source=partner_events.source_of(partner["id"]), type=partner_events.UPSERTED,
                         subject=partner_events.key_of(partner["id"], "kurs-b1"),
                         data={"partner_id": partner["id"], "external_id": "kurs-b1",
                               "offer": {**OFFER, "title": "Deutschkurs B1", "district": "03101"}})
        signing_key = SigningKey.generate()
        registered_key = client.post(f"{urls['offers']}/api/v1/partners/{partner['id']}/signing-keys", headers=key,
                                     json={"public_key": public_key_text(signing_key.public_key)})
        assert registered_key.status_code == 201, registered_key.text
        await produce(platform.bootstrap, topics.PARTNER_OFFERS, encode(signing_key.sign(good)),
                      key=partner_events.key_of(partner["id"], "kurs-b1").encode())
        dead = await read_topic(platform.bootstrap, topics.dead_letter(topics.PARTNER_OFFERS), expected=1)
        assert "body is not JSON" in dict(dead[0].headers)["npa-dlq-reason"].decode()
        await eventually(lambda: coverage(client, urls["reports"], "03101", "sprache") == 1)
        mails = smtp_sink.handler.wait_for(3)
        subjects = [str(m["Subject"]) for m in mails if m["To"] == SUBSCRIBER]
        assert sum("Deutschkurs A1 am Vormittag" in s for s in subjects) == 1, subjects  # repeated PUT: no 2nd mail
        assert sum("Deutschkurs B1" in s for s in subjects) == 1, subjects

        # 4 (cont.). the partner withdraws the offer → back to 0
        assert client.delete(offer_url, headers=key).status_code == 204
        await eventually(lambda: coverage(client, urls["reports"], "03241", "sprache") == 0)

        offer_events = [decode(r.value).type for r in await read_topic(platform.bootstrap, topics.OFFERS, expected=3)]
        assert offer_events.count("de.npa.offer.published") == 2  # kurs-a1 once (no republish on the repeated PUT), kurs-b1
        assert offer_events.count("de.npa.offer.withdrawn") == 1

        # the unsubscribe link from the alert works with one POST (RFC 8058)
        assert client.post(unsubscribe_url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
