"""The `make run` mailbox (localrun/mail_sink.py) as a real process with its real SMTP server, in
headless Chromium (issue 11, point 7): the portal's layout, axe-core finds nothing at 1280 and
360 px, nothing scrolls sideways, a mail's HTML is shown in a sandboxed frame under its own
policy and its text version wraps."""

import os
import smtplib
import subprocess
import sys
from email.message import EmailMessage

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe

from tests.e2e.test_pages_in_browser import wait_for
from tests.support.processes import free_port, wait_for_port
from tests.support.services import ROOT

pytestmark = pytest.mark.e2e
LONG_LINK = "https://portal.example/subscriptions/manage?token=" + "x" * 180


@pytest.fixture
def mailbox(tmp_path):  # noqa: ANN001, ANN201
    smtp_port, page_port = free_port(), free_port()
    env = {**os.environ, "NPA_VAR_DIR": str(tmp_path), "NPA_SMTP_PORT": str(smtp_port),
           "NPA_MAIL_SINK_PORT": str(page_port)}
    process = subprocess.Popen([sys.executable, "-m", "localrun.mail_sink"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(smtp_port)
        wait_for_port(page_port)
        yield smtp_port, f"http://127.0.0.1:{page_port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def send_mail(smtp_port: int) -> None:
    message = EmailMessage()
    message["From"] = "Niedersachsen packt an – Benachrichtigungen <alerts@niedersachsen-packt-an.test>"
    message["To"] = "lea.beispiel@example.org"
    message["Subject"] = "Bitte bestätigen Sie Ihr Abonnement für Benachrichtigungsdienstleistungen"
    message.set_content(f"Guten Tag,\n\nbitte bestätigen Sie: {LONG_LINK}\n")
    message.add_alternative(f"<html><head><style>p {{ color: #003f7d; }}</style></head><body><p>Guten Tag,</p>"
                            f"<p><a href='{LONG_LINK}'>Abonnement bestätigen</a></p></body></html>", subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(message)


async def test_the_mailbox_has_the_portal_look_and_works_on_a_phone(mailbox, browser):  # noqa: ANN001
    smtp_port, url = mailbox
    empty = httpx.get(f"{url}/")
    assert empty.status_code == 200 and "Noch keine Mails" in empty.text
    assert "frame-ancestors 'none'" in empty.headers["content-security-policy"]
    send_mail(smtp_port)
    (listed,) = wait_for(lambda: httpx.get(f"{url}/api/mails").json())
    mail_url = f"{url}/mail/{listed['file']}"
    body = httpx.get(f"{mail_url}/html")
    assert "sandbox" in body.headers["content-security-policy"] and body.headers["x-frame-options"] == "SAMEORIGIN"
    assert httpx.get(f"{url}/mail/nothing.eml").status_code == 404
    assert httpx.get(f"{url}/raw/..%2Fmail_sink.py").status_code == 404

    for width in (1280, 360):
        context = await browser.new_context(viewport={"width": width, "height": 800}, locale="de-DE")
        page = await context.new_page()
        for name, address in (("inbox", f"{url}/"), ("mail", mail_url)):
            response = await page.goto(address)
            assert response.status == 200, (name, width)
            result = await Axe().run(page)
            violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result.response["violations"]]
            assert violations == [], (name, width, violations)
            overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (name, width, overflow)
            # the portal's layout: its header navigation, footer and stylesheet
            assert await page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link").count() == 5
            assert await page.get_by_role("link", name="Impressum").count() == 1
            assert await page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != "none"
        frame = page.frame_locator("iframe.mail-body")
        assert await frame.get_by_role("link", name="Abonnement bestätigen").count() == 1
        assert LONG_LINK in await page.locator("pre.mail-text").inner_text()
        await page.goto(f"{url}/")
        await page.get_by_role("link", name="Bitte bestätigen Sie Ihr Abonnement für Benachrichtigungsdienstleistungen").click()
        assert page.url == mail_url
        await context.close()
