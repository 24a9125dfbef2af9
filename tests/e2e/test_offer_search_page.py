"""The offer search page as a person uses it, in headless Chromium against the offers service as
a real process: it says what was searched, finds the course of issue 9, and when nothing is
found it suggests wider searches with links that work."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import free_port
from tests.support.services import ADMIN, ADMIN_TOKEN, ROOT

pytestmark = pytest.mark.e2e

COURSE = "Deutschkurs A1 für Frauen mit Kinderbetreuung"
OFFERS = [
    {"title": COURSE, "fields": ["sprache"], "district": "03403", "city": "Oldenburg (Oldb)", "postcode": "26121",
     "languages": ["de", "ar"], "women_only": True, "childcare": True},
    {"title": "Deutschkurs B1 am Abend", "fields": ["sprache"], "district": "03241", "city": "Hannover",
     "languages": ["de", "uk"]},
    {"title": "Sprachcafé Wildeshausen", "fields": ["sprache"], "district": "03458", "city": "Wildeshausen"},
]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def offers_url(kafka_bootstrap, tmp_path) -> Iterator[str]:  # noqa: ANN001
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "NPA_KAFKA_BOOTSTRAP": kafka_bootstrap, "NPA_ADMIN_TOKEN": ADMIN_TOKEN,
           "NPA_OFFERS_PORT": str(port), "NPA_OFFERS_DATABASE_URL": f"sqlite:///{tmp_path}/offers.db",
           "NPA_PUBLIC_BASE_URL_OFFERS": url, "NPA_VAR_DIR": str(tmp_path / "var")}
    with open(tmp_path / "offers.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "services.offers"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not _ready(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"offers service not ready:\n{(tmp_path / 'offers.log').read_text()[-3000:]}")
                time.sleep(0.2)
            with httpx.Client(base_url=url, headers=ADMIN, timeout=10) as client:
                for body in OFFERS:
                    assert client.post("/api/v1/offers", json=body).status_code == 201
            yield url
        finally:
            process.terminate()
            process.wait(20)


async def test_search_page_says_what_was_searched_and_how_to_widen_it(offers_url, browser, artifacts):  # noqa: ANN001
    page = await browser.new_page(locale="de-DE")
    await page.goto(f"{offers_url}/offers")
    await page.locator("#q").fill("Deutschkurs Frauen")
    await page.get_by_label("Region", exact=True).select_option("03403")
    await page.get_by_label("mit Kinderbetreuung").check()
    await page.get_by_role("button", name="Filtern").click()
    await page.wait_for_url("**childcare=true**")
    assert await page.get_by_role("status").inner_text() == "1 Angebot"
    assert await page.get_by_role("link", name=COURSE).is_visible()
    searched = page.get_by_role("region", name="Ihre Suche")
    assert await searched.get_by_text("Suchwörter „Deutschkurs Frauen“").is_visible()
    assert await searched.get_by_text("Region: Oldenburg (Oldb) (kreisfreie Stadt)").is_visible()
    assert await searched.get_by_text("mit Kinderbetreuung").is_visible()
    await page.screenshot(path=f"{artifacts}/offer-search.png", full_page=True)

    # Nothing in Wildeshausen (Landkreis Oldenburg) has these words: the page offers wider searches.
    await page.goto(f"{offers_url}/offers?q=Deutschkurs+Frauen&region=03458&language=Arabisch")
    assert await page.get_by_role("status").inner_text() == "0 Angebote"
    assert await page.get_by_role("region", name="Ihre Suche").get_by_text("Sprache: Arabisch").is_visible()
    suggestions = page.get_by_role("region", name="Keine Angebote gefunden – so finden Sie mehr")
    assert await suggestions.get_by_role("link", name="in der ganzen ARL-Region Weser-Ems").is_visible()
    assert await suggestions.get_by_role("link", name="in ganz Niedersachsen").is_visible()
    assert await suggestions.get_by_text("ohne das Wort").count() == 0  # widenings that find nothing are left out
    await page.screenshot(path=f"{artifacts}/offer-search-widen.png", full_page=True)
    await suggestions.get_by_role("link", name="in der ganzen ARL-Region Weser-Ems").click()
    await page.wait_for_url("**region=Weser-Ems**")
    assert await page.get_by_role("status").inner_text() == "1 Angebot"
    assert await page.get_by_role("link", name=COURSE).is_visible()

    await page.goto(f"{offers_url}/offers?q=Deutschkurs+Schwimmen")
    suggestions = page.get_by_role("region", name="Keine Angebote gefunden – so finden Sie mehr")
    assert await suggestions.get_by_role("listitem").all_inner_texts() == ["ohne das Wort „Schwimmen“: 2 Angebote"]
    await suggestions.get_by_role("link", name="ohne das Wort „Schwimmen“").click()
    await page.wait_for_url("**q=Deutschkurs")
    assert await page.get_by_role("status").inner_text() == "2 Angebote"

    await page.goto(f"{offers_url}/offers?language=Klingonisch")
    assert "Diese Sprache kennen wir nicht" in await page.get_by_role("alert").inner_text()
    await page.close()
