"""The good-example pages as a person sees them, in headless Chromium against the real processes."""

import time

import httpx
import pytest

from tests.support.services import ADMIN

pytestmark = pytest.mark.e2e

# period, contact and project page stand in the facts list above the sections
SECTIONS = ["Ausgangslage", "Ziele", "Maßnahmen", "Ergebnisse", "Passend dazu"]


def example_body(actor_id: str, title: str, fields: list[str], district: str | None) -> dict:
    return {
        "title": title, "fields": fields, "district": district, "actor_id": actor_id, "period": "seit 2023",
        "situation": f"Ausgangslage von {title}: viele Geflüchtete, wenig passende Angebote vor Ort.",
        "goals": "Schneller ankommen, selbstständig handeln.",
        "measures": "Ehrenamtliche begleiten einzeln,\nHauptamtliche koordinieren.",
        "results": "Über hundert Begleitungen im ersten Jahr.",
        "contact_email": "gute-beispiele@caritas-os.example", "url": "https://caritas-os.example/lotsen",
    }


def seed(urls: dict[str, str]) -> dict[str, dict]:
    """An actor registered at the actors service, then examples at the offers service once the
    actor's event has reached it; all published but the draft."""
    with httpx.Client(timeout=10, headers=ADMIN) as client:
        actor = client.post(f"{urls['actors']}/api/v1/actors", json={
            "name": "Caritasverband Osnabrück", "kind": "freier_traeger", "districts": ["03404"],
            "fields": ["wohnen"]}).json()
        specs = {
            "osnabrueck": ("Wohnungslotsen Osnabrück", ["wohnen"], "03404"),
            "celle": ("Sprachpatenschaften Celle", ["sprache"], "03351"),
            "landesweit": ("Jobpaten für ganz Niedersachsen", ["arbeit"], None),
            "draft": ("Entwurf: Nähcafé Hannover", ["teilhabe"], "03241"),
        }
        examples = {}
        deadline = time.monotonic() + 15
        for name, spec in specs.items():
            while (response := client.post(f"{urls['offers']}/api/v1/examples",
                                           json=example_body(actor["id"], *spec))).status_code == 422:
                assert time.monotonic() < deadline, f"the offers service never learnt the actor: {response.text}"
                time.sleep(0.1)
            assert response.status_code == 201, response.text
            examples[name] = response.json()
            if name != "draft":
                published = client.post(f"{urls['offers']}/api/v1/examples/{examples[name]['id']}/publish")
                assert published.status_code == 200, published.text
        return examples


async def visible_titles(page) -> list[str]:  # noqa: ANN001
    return await page.locator("main .list h2").all_inner_texts()


async def test_example_list_filters_and_detail_shows_every_section(platform, browser, artifacts):  # noqa: ANN001
    examples = seed(platform.urls)
    page = await browser.new_page(locale="de-DE")

    await page.goto(f"{platform.urls['offers']}/examples")
    assert await page.locator("html").get_attribute("lang") == "de"
    assert await page.get_by_role("heading", level=1).inner_text() == "Gute Beispiele aus Niedersachsen"
    assert await visible_titles(page) == [
        "Jobpaten für ganz Niedersachsen", "Sprachpatenschaften Celle", "Wohnungslotsen Osnabrück"]
    assert await page.get_by_text("Entwurf: Nähcafé Hannover").count() == 0
    await page.screenshot(path=f"{artifacts}/example-list.png", full_page=True)

    await page.select_option("#field", "sprache")
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**field=sprache**")
    assert await visible_titles(page) == ["Sprachpatenschaften Celle"]

    await page.select_option("#field", "")
    await page.select_option("#region", "Weser-Ems")
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**region=Weser-Ems**")
    assert await visible_titles(page) == ["Jobpaten für ganz Niedersachsen", "Wohnungslotsen Osnabrück"]
    assert await page.locator("#region").input_value() == "Weser-Ems"

    await page.get_by_role("link", name="Wohnungslotsen Osnabrück").click()
    await page.wait_for_url(f"**/examples/{examples['osnabrueck']['id']}")
    assert await page.get_by_role("heading", level=1).inner_text() == "Wohnungslotsen Osnabrück"
    assert await page.get_by_role("heading", level=2).all_inner_texts() == SECTIONS
    assert await page.get_by_text("Wohnen und Leben").is_visible()
    assert await page.get_by_text("Ehrenamtliche begleiten einzeln").is_visible()
    contact = page.get_by_role("link", name="gute-beispiele@caritas-os.example")
    assert await contact.get_attribute("href") == "mailto:gute-beispiele@caritas-os.example"
    assert await page.get_by_text("Caritasverband Osnabrück").first.is_visible()
    project = page.get_by_role("link", name="https://caritas-os.example/lotsen")
    assert await project.get_attribute("href") == "https://caritas-os.example/lotsen"
    await page.screenshot(path=f"{artifacts}/example-detail.png", full_page=True)

    response = await page.goto(f"{platform.urls['offers']}/examples/{examples['draft']['id']}")
    assert response is not None and response.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "Nicht gefunden"
    await page.close()
