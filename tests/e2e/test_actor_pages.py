"""The actor directory and an actor's page as a person uses them, in headless Chromium against
the real processes: filters, pagination, "Wer arbeitet hier noch daran?", accessibility basics."""

import httpx
import pytest

from tests.support.services import ADMIN

pytestmark = pytest.mark.e2e

HANNOVER, OSNABRUECK = "03241", "03404"
LINDEN = {
    "name": "Sprachcafé Linden", "kind": "initiative", "districts": [HANNOVER], "fields": ["sprache"],
    "description": "Offener Treff zum Deutschsprechen, jeden Dienstag.", "email": "kontakt@sprachcafe-linden.example",
    "phone": "0511 123456", "website": "https://sprachcafe-linden.example", "address": "Limmerstraße 1",
    "postcode": "30451", "is_multiplier": True,
}
OTHERS = [
    {"name": "VHS Hannover", "kind": "bildungstraeger", "districts": [HANNOVER], "fields": ["sprache", "arbeit"],
     "is_multiplier": True},
    {"name": "Landesweites Sprachtelefon", "kind": "land", "districts": [], "fields": ["sprache"]},
    {"name": "Jobcenter Region Hannover", "kind": "kommune", "districts": [HANNOVER], "fields": ["arbeit"]},
    {"name": "Caritasverband Osnabrück", "kind": "freier_traeger", "districts": [OSNABRUECK],
     "fields": ["wohnen", "sprache"]},
]
GONE = {"name": "Ehemaliger Sprachtreff Hannover", "kind": "initiative", "districts": [HANNOVER], "fields": ["sprache"]}
ALL_ACTIVE = ["Caritasverband Osnabrück", "Jobcenter Region Hannover", "Landesweites Sprachtelefon",
              "Sprachcafé Linden", "VHS Hannover"]

ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!control.labels.length && !control.getAttribute('aria-label')) problems.push('no label: ' + control.name);
  }
  const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1]));
  if (levels[0] !== 1 || levels.filter(level => level === 1).length !== 1) problems.push('one h1 first: ' + levels);
  levels.forEach((level, i) => { if (i && level > levels[i - 1] + 1) problems.push('heading skipped: ' + levels); });
  for (const th of document.querySelectorAll('th')) if (!th.scope) problems.push('th without scope: ' + th.textContent);
  for (const link of document.querySelectorAll('a')) if (!link.textContent.trim()) problems.push('empty link');
  if (document.documentElement.lang !== 'de') problems.push('lang is not de');
  return problems;
}"""


def seed(base_url: str) -> dict[str, dict]:
    with httpx.Client(base_url=base_url, headers=ADMIN, timeout=10) as client:
        actors = {body["name"]: client.post("/api/v1/actors", json=body).json() for body in [LINDEN, *OTHERS, GONE]}
        assert client.delete(f"/api/v1/actors/{actors[GONE['name']]['id']}").status_code == 204
    return actors


async def listed(page) -> list[str]:  # noqa: ANN001
    return await page.locator("tbody th[scope=row] a").all_inner_texts()


async def apply_filters(page, **choices) -> None:  # noqa: ANN001, ANN003
    """Fill the form as a person would and submit it; unset controls go back to "any"."""
    await page.get_by_label("Suche in Name und Beschreibung").fill(choices.get("q", ""))
    await page.get_by_label("Handlungsfeld").select_option(choices.get("field", ""))
    await page.get_by_label("Region", exact=True).select_option(choices.get("region", ""))
    await page.get_by_label("Art", exact=True).select_option(choices.get("kind", ""))
    await page.get_by_label("Nur Multiplikatorinnen und Multiplikatoren").set_checked(choices.get("multiplier", False))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Filtern").click()


async def test_directory_filters_and_pages_through_actors(platform, browser, artifacts):  # noqa: ANN001
    base_url = platform.urls["actors"]
    seed(base_url)
    page = await browser.new_page(locale="de-DE")
    await page.goto(f"{base_url}/actors")
    assert await page.get_by_role("heading", level=1).inner_text() == "Akteurinnen und Akteure"
    assert await page.evaluate(ACCESSIBILITY_PROBLEMS) == []
    assert await listed(page) == ALL_ACTIVE
    assert await page.get_by_role("status").inner_text() == "5 Einträge"

    expectations = [
        ({"field": "arbeit"}, ["Jobcenter Region Hannover", "VHS Hannover"]),
        ({"region": "Weser-Ems"}, ["Caritasverband Osnabrück", "Landesweites Sprachtelefon"]),  # ARL name, state-wide
        ({"kind": "kommune"}, ["Jobcenter Region Hannover"]),
        ({"multiplier": True}, ["Sprachcafé Linden", "VHS Hannover"]),
        ({"q": "LINDEN"}, ["Sprachcafé Linden"]),
        ({"q": "deutschsprechen"}, ["Sprachcafé Linden"]),  # found in the description
        ({"field": "sprache", "region": HANNOVER}, ["Landesweites Sprachtelefon", "Sprachcafé Linden", "VHS Hannover"]),
        ({"field": "sprache", "region": HANNOVER, "multiplier": True}, ["Sprachcafé Linden", "VHS Hannover"]),
        ({"field": "wohnen", "kind": "kommune"}, []),
    ]
    for choices, names in expectations:
        await apply_filters(page, **choices)
        assert await listed(page) == names, choices
        assert all(f"{name}=" in page.url for name in choices), page.url
    assert await page.get_by_role("status").inner_text() == "Keine Einträge für diese Auswahl."

    await apply_filters(page, field="sprache", region="Leine-Weser")
    assert await page.get_by_label("Region", exact=True).input_value() == "Leine-Weser"  # the form keeps the choice
    assert await page.evaluate(ACCESSIBILITY_PROBLEMS) == []
    await page.screenshot(path=f"{artifacts}/actor-directory-filtered.png", full_page=True)

    await page.goto(f"{base_url}/actors?limit=2")
    pages = [await listed(page)]
    while await page.get_by_role("link", name="Nächste Seite").count():
        async with page.expect_navigation():
            await page.get_by_role("link", name="Nächste Seite").click()
        pages.append(await listed(page))
    assert pages == [ALL_ACTIVE[0:2], ALL_ACTIVE[2:4], ALL_ACTIVE[4:]]
    assert await page.get_by_role("status").inner_text() == "5 Einträge, angezeigt 5–5"
    async with page.expect_navigation():
        await page.get_by_role("link", name="Vorherige Seite").click()
    assert await listed(page) == ALL_ACTIVE[2:4]
    await page.close()


async def test_actor_page_shows_contact_and_who_else_works_on_this(platform, browser, artifacts):  # noqa: ANN001
    base_url = platform.urls["actors"]
    actors = seed(base_url)
    page = await browser.new_page(locale="de-DE")
    await page.goto(f"{base_url}/actors")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Sprachcafé Linden").click()
    assert page.url == f"{base_url}/actors/{actors['Sprachcafé Linden']['id']}"
    assert await page.get_by_role("heading", level=1).inner_text() == "Sprachcafé Linden"
    assert await page.get_by_role("link", name=LINDEN["email"]).get_attribute("href") == f"mailto:{LINDEN['email']}"
    assert await page.get_by_role("link", name="0511 123456").get_attribute("href") == "tel:0511123456"
    assert await page.get_by_text("Limmerstraße 1, 30451").is_visible()
    assert await page.get_by_role("listitem").filter(has_text="Region Hannover").first.is_visible()
    assert await page.get_by_text("Sprachförderung").first.is_visible()

    alongside = page.get_by_role("region", name="Wer arbeitet hier noch daran?")
    assert await alongside.get_by_role("link").all_inner_texts() == ["Landesweites Sprachtelefon", "VHS Hannover"]
    assert "landesweit" in await alongside.get_by_role("listitem").first.inner_text()
    assert await page.evaluate(ACCESSIBILITY_PROBLEMS) == []
    await page.screenshot(path=f"{artifacts}/actor-detail.png", full_page=True)

    async with page.expect_navigation():
        await alongside.get_by_role("link", name="VHS Hannover").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "VHS Hannover"
    alongside = page.get_by_role("region", name="Wer arbeitet hier noch daran?")
    assert await alongside.get_by_role("link").all_inner_texts() == [
        "Jobcenter Region Hannover", "Landesweites Sprachtelefon", "Sprachcafé Linden"]
    assert await page.get_by_text("Keine Kontaktdaten hinterlegt.").is_visible()

    await page.goto(f"{base_url}/actors/{actors[GONE['name']]['id']}")
    assert await page.get_by_text("Dieser Eintrag ist nicht mehr aktiv.").is_visible()
    response = await page.goto(f"{base_url}/actors/gibt-es-nicht")
    assert response.status == 404 and await page.get_by_role("heading", level=1).inner_text() == "Nicht gefunden"
    await page.close()
