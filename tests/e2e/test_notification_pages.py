"""The subscriber's pages in headless Chromium against the real processes: subscribe in English,
confirm from the real mail, change settings, download my data, delete me."""

import json
import re

import pytest

pytestmark = pytest.mark.e2e


async def test_subscribe_manage_export_and_delete_in_the_browser(platform, smtp_sink, browser, artifacts):  # noqa: ANN001
    base = platform.urls["notifications"]
    page = await browser.new_page(locale="en-GB", accept_downloads=True)
    await page.goto(f"{base}/")
    await page.get_by_role("link", name="English").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "New offers by e-mail"
    assert await page.locator("html").get_attribute("lang") == "en"
    await page.get_by_label("E-mail address").fill("counsellor@example.org")
    await page.get_by_label("Language support").check()
    await page.get_by_label("the whole region Weser-Ems").check()
    await page.get_by_role("radio", name=re.compile("weekly digest")).check()
    await page.get_by_label("good examples from practice").check()
    await page.screenshot(path=f"{artifacts}/notifications-subscribe-en.png", full_page=True)
    await page.get_by_role("button", name="Subscribe").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Almost done"

    confirmation = smtp_sink.handler.wait_for(1)[0]
    assert confirmation["Subject"] == "Please confirm your subscription – Niedersachsen packt an"
    link = next(word for word in confirmation.get_body(preferencelist=("plain",)).get_content().split()
                if "/subscriptions/confirm?token=" in word)
    await page.goto(link)
    assert await page.get_by_role("heading", level=1).inner_text() == "Subscription confirmed"
    await page.get_by_role("link", name="View or change your settings").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Your subscription"
    assert await page.get_by_role("radio", name=re.compile("weekly digest")).is_checked()
    await page.get_by_label("Housing and living").check()
    await page.get_by_role("button", name="Save").click()
    assert await page.get_by_role("status").inner_text() == "Your settings have been saved."
    await page.screenshot(path=f"{artifacts}/notifications-manage-en.png", full_page=True)

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download my data (JSON)").click()
    download = await download_info.value
    data = json.loads(open(await download.path(), encoding="utf-8").read())  # noqa: SIM115
    assert data["subscription"]["email"] == "counsellor@example.org"
    assert data["subscription"]["fields"] == ["sprache", "wohnen"] and data["subscription"]["frequency"] == "weekly"
    assert [consent["via"] for consent in data["consents"]] == ["double_opt_in", "manage_page"]

    await page.get_by_role("link", name="Delete me and all my data").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Delete all your data?"
    await page.get_by_role("button", name="Yes, delete everything").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Your data has been deleted"
    await page.close()
