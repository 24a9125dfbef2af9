"""The public pages as a person sees them, in headless Chromium against the real processes."""

import httpx
import pytest

from tests.support.services import ADMIN

pytestmark = pytest.mark.e2e


def wait_for(check, timeout: float = 15.0):  # noqa: ANN001, ANN201
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def seed(urls: dict[str, str]) -> dict:
    with httpx.Client(timeout=10) as client:
        actor = client.post(f"{urls['actors']}/api/v1/actors", headers=ADMIN, json={
            "name": "Caritasverband Osnabrück", "kind": "freier_traeger", "districts": ["03404"],
            "fields": ["wohnen"]}).json()
        partner = wait_for(lambda: (r := client.post(f"{urls['offers']}/api/v1/partners", headers=ADMIN, json={
            "name": "Beratungsdatenbank", "actor_id": actor["id"]})).status_code == 201 and r.json())
        key = {"Authorization": f"Bearer {partner['api_key']}"}
        offers = {}
        for external_id, body in {
            "wohnen-1": {"title": "Sprechstunde Wohnungssuche", "fields": ["wohnen"], "district": "03404",
                         "languages": ["de", "uk"], "costs": "kostenlos"},
            "sprache-1": {"title": "Sprachcafé Lüneburg", "fields": ["sprache"], "district": "03355"},
            "frauen-1": {"title": "Schwimmkurs für Frauen", "fields": ["teilhabe"], "district": "03404",
                         "women_only": True, "target_groups": ["frauen"], "costs": "15 € pro Kurs"},
        }.items():
            offers[external_id] = client.put(f"{urls['offers']}/api/v1/partners/{partner['id']}/offers/{external_id}",
                                             headers=key, json=body).json()
        return {"actor": actor, "offers": offers}


async def test_directory_and_offer_pages_render_and_filter(platform, browser, artifacts):  # noqa: ANN001
    data = seed(platform.urls)
    page = await browser.new_page(locale="de-DE")

    await page.goto(f"{platform.urls['offers']}/offers")
    assert await page.locator("html").get_attribute("lang") == "de"
    assert await page.get_by_role("heading", level=1).inner_text() == "Integrationsangebote in Niedersachsen"
    assert await page.get_by_text("Sprechstunde Wohnungssuche").is_visible()
    await page.select_option("#field", "sprache")
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**field=sprache**")
    assert await page.get_by_text("Sprachcafé Lüneburg").is_visible()
    assert await page.get_by_text("Sprechstunde Wohnungssuche").count() == 0

    await page.select_option("#field", "")
    await page.select_option("#region", "Weser-Ems")
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**region=Weser-Ems**")
    assert await page.get_by_text("Sprechstunde Wohnungssuche").is_visible()
    assert await page.get_by_text("Sprachcafé Lüneburg").count() == 0

    await page.check("input[name=women_only]")
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**women_only=true**")
    assert await page.get_by_text("Schwimmkurs für Frauen").is_visible()
    assert await page.get_by_text("Sprechstunde Wohnungssuche").count() == 0
    await page.uncheck("input[name=women_only]")
    await page.check("input[name=free]")
    await page.fill("#q", "sprechstunde")
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**free=true**")
    assert await page.get_by_text("Sprechstunde Wohnungssuche").is_visible()
    assert await page.get_by_text("Schwimmkurs für Frauen").count() == 0
    assert await page.get_by_role("status").inner_text() == "1 Angebot"
    await page.fill("#q", "")  # costs not stated (Sprachcafé) is not "free" (ADR 19)
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**free=true**")
    assert await page.get_by_text("Sprachcafé Lüneburg").count() == 0
    await page.goto(f"{platform.urls['offers']}/offers/{data['offers']['sprache-1']['id']}")
    assert await page.locator("dt:has-text('Kosten') + dd").inner_text() == "keine Angabe"
    assert await page.locator("dt:has-text('Sprachen') + dd").inner_text() == "keine Angabe"
    await page.goto(f"{platform.urls['offers']}/offers?free=true&q=sprechstunde")

    await page.get_by_role("link", name="Sprechstunde Wohnungssuche").click()
    await page.wait_for_url(f"**/offers/{data['offers']['wohnen-1']['id']}")
    assert await page.get_by_role("heading", level=1).inner_text() == "Sprechstunde Wohnungssuche"
    assert await page.get_by_text("Osnabrück").first.is_visible()
    await page.screenshot(path=f"{artifacts}/offer-detail.png", full_page=True)

    await page.goto(f"{platform.urls['actors']}/actors?field=wohnen")
    assert await page.get_by_text("Caritasverband Osnabrück").is_visible()
    await page.screenshot(path=f"{artifacts}/actor-directory.png", full_page=True)
    await page.close()


async def test_subscribe_form_confirm_link_and_dashboard(platform, smtp_sink, browser, artifacts):  # noqa: ANN001
    page = await browser.new_page(locale="de-DE")
    await page.goto(f"{platform.urls['notifications']}/")
    assert await page.get_by_role("heading", level=1).inner_text() == "Neue Angebote per E-Mail"
    await page.get_by_label("E-Mail-Adresse").fill("koordinatorin@example.org")
    await page.get_by_label("Sprachförderung").check()
    await page.get_by_label("Arbeitsmarktintegration").check()
    await page.get_by_label("die ganze Region Lüneburg").check()
    await page.get_by_label("Region Hannover", exact=True).check()
    await page.screenshot(path=f"{artifacts}/subscribe-form.png", full_page=True)
    await page.get_by_role("button", name="Abonnieren").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Fast geschafft"

    confirmation = smtp_sink.handler.wait_for(1)[0]
    assert confirmation["To"] == "koordinatorin@example.org"
    link = next(word for word in confirmation.get_body(preferencelist=("plain",)).get_content().split()
                if "/subscriptions/confirm?token=" in word)
    await page.goto(link)
    assert await page.get_by_role("heading", level=1).inner_text() == "Abonnement bestätigt"

    with httpx.Client(timeout=10) as client:
        actor = client.post(f"{platform.urls['actors']}/api/v1/actors", headers=ADMIN, json={
            "name": "Jobcenter Region Hannover", "kind": "kommune", "districts": ["03241"], "fields": ["arbeit"]}).json()
        wait_for(lambda: client.post(f"{platform.urls['offers']}/api/v1/offers", headers=ADMIN, json={
            "title": "Bewerbungstraining", "fields": ["arbeit"], "district": "03241",
            "provider_actor_id": actor["id"]}).status_code == 201)
    alert = smtp_sink.handler.wait_for(2)[1]
    assert "Bewerbungstraining" in alert["Subject"]

    with httpx.Client(timeout=10) as client:
        wait_for(lambda: any(row["active_offers"] == 1 for row in client.get(
            f"{platform.urls['reports']}/api/v1/reports/coverage").json()["rows"]
            if (row["district"], row["field"]) == ("03241", "arbeit")))
    await page.goto(f"{platform.urls['reports']}/reports")
    assert await page.get_by_role("heading", level=1).inner_text() == "Integrationsangebote nach Landkreis und Handlungsfeld"
    assert await page.locator("caption").count() >= 3
    await page.screenshot(path=f"{artifacts}/reports-dashboard.png", full_page=True)
    await page.close()
