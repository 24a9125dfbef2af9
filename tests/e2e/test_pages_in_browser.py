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
                         "languages": ["de", "uk"]},
            "sprache-1": {"title": "Sprachcafé Lüneburg", "fields": ["sprache"], "district": "03355"},
        }.items():
            offers[external_id] = client.put(f"{urls['offers']}/api/v1/partners/{partner['id']}/offers/{external_id}",
                                             headers=key, json=body).json()
        return {"actor": actor, "offers": offers}


def test_directory_and_offer_pages_render_and_filter(platform, browser, artifacts):  # noqa: ANN001
    data = seed(platform.urls)
    page = browser.new_page(locale="de-DE")

    page.goto(f"{platform.urls['offers']}/offers")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", level=1).inner_text() == "Integrationsangebote in Niedersachsen"
    assert page.get_by_text("Sprechstunde Wohnungssuche").is_visible()
    page.select_option("#field", "sprache")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_url("**field=sprache**")
    assert page.get_by_text("Sprachcafé Lüneburg").is_visible()
    assert page.get_by_text("Sprechstunde Wohnungssuche").count() == 0

    page.select_option("#field", "")
    page.select_option("#region", "Weser-Ems")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_url("**region=Weser-Ems**")
    assert page.get_by_text("Sprechstunde Wohnungssuche").is_visible()
    assert page.get_by_text("Sprachcafé Lüneburg").count() == 0

    page.get_by_role("link", name="Sprechstunde Wohnungssuche").click()
    page.wait_for_url(f"**/offers/{data['offers']['wohnen-1']['id']}")
    assert page.get_by_role("heading", level=1).inner_text() == "Sprechstunde Wohnungssuche"
    assert page.get_by_text("Osnabrück").first.is_visible()
    page.screenshot(path=f"{artifacts}/offer-detail.png", full_page=True)

    page.goto(f"{platform.urls['actors']}/actors?field=wohnen")
    assert page.get_by_text("Caritasverband Osnabrück").is_visible()
    page.screenshot(path=f"{artifacts}/actor-directory.png", full_page=True)
    page.close()
