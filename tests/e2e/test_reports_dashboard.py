"""The reports dashboard in headless Chromium, served by the reports service as a real process
over a generated data set on the real broker: the map draws all 45 districts with names and
numbers, Tab reaches them and focus shows the numbers, the legend reads without colour, the
field can be changed without script, and nothing is loaded from another host."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import httpx
import pytest

from npa.infrastructure.map_shapes import ATTRIBUTION, ATTRIBUTION_URL
from tests.integration import test_reports_expected as expected
from tests.integration.test_reports_dataset import generate, produce_all
from tests.support.processes import free_port
from tests.support.services import ROOT, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def reports_url(kafka_bootstrap: str, tmp_path) -> Iterator[str]:  # noqa: ANN001
    port = free_port()
    env = {**os.environ, "NPA_KAFKA_BOOTSTRAP": kafka_bootstrap, "NPA_REPORTS_PORT": str(port),
           "NPA_REPORTS_DATABASE_URL": f"sqlite:///{tmp_path}/reports.db", "NPA_VAR_DIR": str(tmp_path / "var")}
    log = open(tmp_path / "reports.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "services.reports"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"reports not ready:\n{(tmp_path / 'reports.log').read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(20)
        log.close()


async def test_map_of_45_districts_keyboard_focus_legend_and_field_choice(reports_url, kafka_bootstrap, browser,
                                                                          artifacts) -> None:  # noqa: ANN001
    data = generate(seed=11, offers=150, actors=30, examples=20)
    await produce_all(kafka_bootstrap, data)
    want = expected.district_rows(data)
    async with httpx.AsyncClient(base_url=reports_url, timeout=10) as client:
        async def consumed() -> bool:
            return (await client.get("/api/v1/reports/coverage")).json()["rows"] == want
        await eventually(consumed, timeout=30)

    page = await browser.new_page(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    foreign = []
    page.on("request", lambda request: None if request.url.startswith(reports_url) else foreign.append(request.url))
    await page.goto(f"{reports_url}/reports?field=sprache")

    paths = page.locator("svg.map-svg path.district")
    assert await paths.count() == 45
    labels = {(await path.get_attribute("id")): (await path.get_attribute("aria-label")) for path in await paths.all()}
    sprache = {row["district"]: row for row in want if row["field"] == "sprache"}
    assert set(labels) == {f"kreis-{key}" for key in sprache}
    for key, row in sprache.items():
        count = row["active_offers"]
        words = f"{count} aktive Angebote" if count > 1 else "1 aktives Angebot" if count else "keine aktiven Angebote, Lücke"
        assert labels[f"kreis-{key}"] == f"{row['district_name']}: {words} (Sprachförderung)"
    gap_keys = [key for key, row in sprache.items() if row["active_offers"] == 0]
    assert gap_keys, "the data set leaves some districts without a language offer"
    for key in gap_keys:  # gaps are hatched
        assert await page.locator(f"#kreis-{key}").evaluate("p => getComputedStyle(p).fill") == 'url("#muster-k0")'
    assert await page.locator(f"#kreis-{gap_keys[0]} > title").text_content() != ""
    attribution = page.locator(f'figure.map-figure a[href="{ATTRIBUTION_URL}"]')
    assert await attribution.inner_text() == ATTRIBUTION
    await page.screenshot(path=f"{artifacts}/reports-map.png")

    # Tab from the field selector's button reaches the first district (alphabetical), focus shows its numbers.
    await page.get_by_role("button", name="Karte zeigen").focus()
    await page.keyboard.press("Tab")
    first = sorted(sprache.values(), key=lambda row: row["district_name"])[:2]
    assert await page.evaluate("document.activeElement.id") == f"kreis-{first[0]['district']}"
    info = page.locator(f"#info-{first[0]['district']}")
    assert await info.is_visible()
    assert first[0]["district_name"] in await info.text_content()
    assert f"{first[0]['women_only_offers']} nur für Frauen" in await info.text_content()
    focused = await page.evaluate("getComputedStyle(document.activeElement).strokeWidth")
    assert float(focused.removesuffix("px")) >= 2.5, "a visible focus outline"
    ring = page.locator(f"#ring-{first[0]['district']}")  # the outline again, above the neighbours
    assert await ring.evaluate("use => getComputedStyle(use).display") != "none"
    await page.screenshot(path=f"{artifacts}/reports-map-focus.png")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == f"kreis-{first[1]['district']}"
    assert not await info.is_visible() and await page.locator(f"#info-{first[1]['district']}").is_visible()
    assert await ring.evaluate("use => getComputedStyle(use).display") == "none"

    # Without colour: every legend class has text and a pattern (hatch for gaps, dots/lines for light classes).
    legend = await page.locator("ul.legend li").all_inner_texts()
    assert legend[0].startswith("0 Angebote – Lücke (schraffiert)") and len(legend) >= 3
    assert all("Angebot" in text and "Landkreis" in text for text in legend)
    assert await page.locator("#muster-k0 line").count() == 1 and await page.locator("#muster-k1 circle").count() == 1

    await page.get_by_label("Handlungsfeld der Karte").select_option("arbeit")
    await page.get_by_role("button", name="Karte zeigen").click()
    await page.wait_for_url("**field=arbeit**")
    arbeit = next(row for row in want if row["field"] == "arbeit" and row["district"] == "03241")
    label = await page.locator("#kreis-03241").get_attribute("aria-label")
    assert label.startswith("Region Hannover: ") and label.endswith("(Arbeitsmarktintegration)")
    assert str(arbeit["active_offers"]) in label or "keine" in label
    assert await page.locator("figure.chart svg").count() == 3
    for heading in ("Genderperspektive", "Gute Beispiele", "Anerkennung: Danke an alle, die mitmachen"):
        assert await page.get_by_role("heading", name=heading).count() == 1
    await page.screenshot(path=f"{artifacts}/reports-dashboard-full.png", full_page=True)
    assert foreign == [], "the dashboard loads nothing from another host"
    await page.close()
