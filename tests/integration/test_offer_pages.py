"""Offer and example pages a person can act on (issue 11, point 2, display): how to take part,
when and where, for whom, in the reader's language, with links to the provider, its offers and
examples and a pre-filled subscription (real broker: the provider is known from npa.actors.v1)."""

import re
from html import unescape

from tests.integration.test_examples_api import ACTOR, EXAMPLE, create_draft, offers_with_actors, publish
from tests.support.services import ADMIN

OFFER = {
    "title": "Deutschkurs A1 für Frauen", "summary": "Deutsch für den Alltag.", "fields": ["sprache"],
    "district": "03351", "postcode": "29221", "city": "Celle", "address": "Stadtbibliothek, Arno-Schmidt-Platz 1",
    "languages": ["ar", "de", "uk"], "target_groups": ["frauen"], "women_only": True, "childcare": True,
    "costs": "20 € Materialgeld", "starts_on": "2027-01-11", "ends_on": "2027-06-30",
    "schedule": "montags und mittwochs 9–11 Uhr", "registration_url": "https://kurse.example/anmeldung",
    "contact_email": "kurse@celle.example", "contact_phone": "05141 123 45", "accessible": "ja",
    "provider_actor_id": ACTOR,
}
ACTORS_URL = "http://127.0.0.1:8001"  # the default public base URL of the actors service


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def test_an_offer_page_says_how_to_take_part_in_german_and_english(kafka_bootstrap, sqlite_url):  # noqa: ANN001
    async with offers_with_actors(kafka_bootstrap, sqlite_url) as client:
        created = await client.post("/api/v1/offers", json=OFFER, headers=ADMIN)
        assert created.status_code == 201, created.text
        page = await client.get(f"/offers/{created.json()['id']}", headers={"Accept-Language": "de-DE"})
        assert page.status_code == 200
        shown = text(page.text)
        for fact in ("Anmeldung Zur Anmeldung (https://kurse.example/anmeldung)", "E-Mail kurse@celle.example",
                     "Telefon 05141 123 45", f"Träger Freiwilligenagentur {ACTOR}",
                     "Ort Stadtbibliothek, Arno-Schmidt-Platz 1 29221 Celle Celle · weitere Angebote hier",
                     "Beginn 11. Januar 2027", "Ende 30. Juni 2027", "Termine montags und mittwochs 9–11 Uhr",
                     "Sprachen Arabisch, Deutsch, Ukrainisch", "Kosten 20 € Materialgeld", "Kinderbetreuung ja",
                     "Barrierefrei ja", "nur für Frauen"):
            assert fact in shown, fact
        assert 'href="mailto:kurse@celle.example"' in page.text and 'href="tel:0514112345"' in page.text
        assert f'href="{ACTORS_URL}/actors/{ACTOR}"' in page.text
        assert f'/offers?provider={ACTOR}"' in page.text and f'/examples?actor={ACTOR}"' in page.text
        assert "/subscriptions/new?fields=sprache&amp;regions=03351" in page.text

        english = text((await client.get(f"/offers/{created.json()['id']}?lang=en")).text)
        assert "Start January 11, 2027" in english and "Languages Arabic, German, Ukrainian" in english

        sparse = await client.post("/api/v1/offers", json={"title": "Sprachcafé", "fields": ["sprache"]}, headers=ADMIN)
        # the switch to English is remembered (cookie) until the reader switches back
        assert client.cookies.get("npa_lang") == "en"
        assert 'lang="en"' in (await client.get(f"/offers/{sparse.json()['id']}")).text
        shown = text((await client.get(f"/offers/{sparse.json()['id']}?lang=de")).text)
        for fact in ("Anmeldung keine Angabe", "E-Mail keine Angabe", "Telefon keine Angabe", "Träger keine Angabe",
                     "Beginn laufend", "Termine keine Angabe", "Barrierefrei keine Angabe"):
            assert fact in shown, fact


async def test_provider_filters_link_actor_offers_and_examples(kafka_bootstrap, database_url):  # noqa: ANN001
    async with offers_with_actors(kafka_bootstrap, database_url) as client:
        await client.post("/api/v1/offers", json=OFFER, headers=ADMIN)
        await client.post("/api/v1/offers", json={"title": "Anderer Kurs", "fields": ["sprache"]}, headers=ADMIN)
        example = await publish(client, (await create_draft(client))["id"])

        by_provider = text((await client.get("/offers", params={"provider": ACTOR})).text)
        assert "1 Angebot" in by_provider and "Deutschkurs A1 für Frauen" in by_provider
        assert "Anderer Kurs" not in by_provider and f"Angebote von Freiwilligenagentur {ACTOR}" in by_provider

        by_actor = text((await client.get("/examples", params={"actor": ACTOR})).text)
        assert EXAMPLE["title"] in by_actor and "1 Gutes Beispiel" in by_actor
        by_other = text((await client.get("/examples", params={"actor": "someone-else"})).text)
        assert EXAMPLE["title"] not in by_other and "0 Gute Beispiele" in by_other

        page = await client.get(f"/examples/{example['id']}", headers={"Accept-Language": "de"})
        assert f'href="{ACTORS_URL}/actors/{ACTOR}"' in page.text
        assert "Zeitraum seit 2023" in text(page.text)

        search = await client.get("/offers", params={"field": "sprache", "region": "03351"})
        assert "/subscriptions/new?fields=sprache&amp;regions=03351" in search.text
        assert "Benachrichtigen Sie mich über neue Angebote wie diese" in search.text
        assert f"{ACTORS_URL}/actors?region=03351&amp;field=sprache" in search.text
        home = await client.get("/", headers={"Accept-Language": "de"})
        assert EXAMPLE["title"] in home.text and "/offers?region=03351" in home.text
