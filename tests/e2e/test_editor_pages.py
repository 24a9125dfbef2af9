"""Issue 11 point 3 in headless Chromium against the real processes, broker and databases: an
editor (account made with `npa-editors`) signs in, registers an actor, writes and publishes a
good example about it, sees the example on the public pages and both changes, with the
editor's name, in the audit trails. No admin token anywhere."""

import io
import time

import httpx
import pytest

from services.actors.editors import cli

pytestmark = pytest.mark.e2e
PASSWORD = "Redaktion sicher 2026!"


async def test_editor_signs_in_registers_an_actor_publishes_an_example_and_sees_the_audit_trail(
        platform, browser, artifacts, tmp_path, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["--database-url", f"sqlite:///{tmp_path}/actors.db", "create", "anna",
                     "--name", "Anna Beispiel", "--password-stdin"]) == 0
    actors, offers, reports = (platform.urls[name] for name in ("actors", "offers", "reports"))
    context = await browser.new_context(locale="de-DE")
    page = await context.new_page()

    await page.goto(f"{offers}/editor/examples")  # not signed in: to the sign-in page, and back afterwards
    assert page.url.startswith(f"{actors}/editor/sign-in?next=")
    await page.get_by_label("Anmeldename").fill("anna")
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_url(f"{offers}/editor/examples")
    cookie = next(c for c in await context.cookies() if c["name"] == "npa_editor")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    await page.goto(f"{actors}/editor/actors/new")
    await page.get_by_label("Name", exact=True).fill("Stadtteilzentrum Linden")
    await page.get_by_label("Art").select_option("initiative")
    await page.get_by_label("Sprachförderung").check()
    await page.get_by_label("Region Hannover").check()
    await page.get_by_label("Beschreibung").fill("Treffpunkt für Nachbarschaft und Sprache.")
    await page.get_by_role("button", name="Registrieren").click()
    await page.get_by_text("Gespeichert.").wait_for()
    actor_id = page.url.split("/editor/actors/")[1].split("?")[0]

    await page.goto(f"{offers}/editor/examples/new")
    deadline = time.monotonic() + 20  # the actor reaches the offers service over the bus
    while await page.locator(f'#actor_id option[value="{actor_id}"]').count() == 0:
        assert time.monotonic() < deadline, "the offers service never learnt the new actor"
        await page.wait_for_timeout(200)
        await page.reload()
    await page.get_by_label("Titel").fill("Sprachcafé im Stadtteilzentrum Linden")
    await page.get_by_label("Zeitraum (z. B. seit 2023)").fill("seit 2024")
    for label in ("Ausgangslage", "Ziele", "Maßnahmen", "Ergebnisse"):
        await page.get_by_label(label, exact=True).fill(f"{label}: jede Woche zwanzig Menschen im Gespräch.")
    await page.get_by_label("Sprachförderung").check()
    await page.get_by_label("Landkreis oder kreisfreie Stadt").select_option("03241")
    await page.get_by_label("Akteur").select_option(actor_id)
    await page.get_by_label("Kontakt (E-Mail)").fill("kontakt@linden.example")
    await page.get_by_role("button", name="Als Entwurf speichern").click()
    await page.get_by_text("Status: Entwurf").wait_for()
    example_id = page.url.split("/editor/examples/")[1].split("?")[0]
    await page.get_by_role("button", name="Veröffentlichen").click()
    await page.get_by_text("Status: veröffentlicht").wait_for()
    await page.screenshot(path=f"{artifacts}/editor-example.png", full_page=True)

    await page.goto(f"{offers}/examples")  # the public pages
    await page.get_by_role("link", name="Sprachcafé im Stadtteilzentrum Linden").click()
    await page.wait_for_url(f"{offers}/examples/{example_id}")
    assert "jede Woche zwanzig Menschen" in await page.content()

    await page.goto(f"{offers}/editor/examples")  # the trails through the editors' navigation
    await page.get_by_role("link", name="Protokoll Angebote").click()
    await page.wait_for_url(f"{offers}/editor/offers-audit")
    rows = await page.locator("tbody tr").all_inner_texts()
    assert any("example.published" in row and "Anna Beispiel (anna)" in row and example_id in row for row in rows)
    assert any("example.drafted" in row and "Anna Beispiel (anna)" in row for row in rows)
    await page.get_by_role("link", name="Protokoll Akteure").click()
    await page.wait_for_url(f"{actors}/editor/audit")
    rows = await page.locator("tbody tr").all_inner_texts()
    assert any("actor.registered" in row and "Anna Beispiel (anna)" in row and actor_id in row for row in rows)
    await page.screenshot(path=f"{artifacts}/editor-audit.png", full_page=True)

    await page.goto(f"{reports}/editor/dead-letters")  # the same session is valid on every service
    await page.get_by_role("heading", name="Abgewiesene Nachrichten").wait_for()

    await page.get_by_role("button", name="Abmelden").click()
    await page.goto(f"{offers}/editor/examples")
    assert page.url.startswith(f"{actors}/editor/sign-in")
    await context.close()

    async with httpx.AsyncClient() as client:  # the API keeps working with the bearer token only
        answer = await client.post(f"{actors}/api/v1/actors", json={"name": "x", "kind": "initiative",
                                                                    "fields": ["sprache"]})
        assert answer.status_code == 401
