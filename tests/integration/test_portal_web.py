"""One portal over four services (issue 11, point 1) and its web hygiene (issue 10, point 5):
the shared header and footer with links built from the public base URLs, the error page for
browsers and JSON for API clients, security headers on every HTML page, and CSRF refusal of
form posts from other sites, against the real services (real broker, SQLite)."""

import re
from contextlib import AsyncExitStack
from dataclasses import replace

import pytest

from npa.infrastructure.settings import load_settings
from tests.support.services import running_service, service_settings

BASES = {"actors": "http://portal.test", "offers": "http://portal.test", "notifications": "http://portal.test",
         "reports": "http://portal.test"}
PAGES = {"actors": ["/actors"], "offers": ["/", "/offers", "/examples", "/impressum", "/datenschutz",
                                           "/barrierefreiheit", "/leichte-sprache"],
         "notifications": ["/subscriptions/new"], "reports": ["/reports", "/ops"]}
NAVIGATION = {"Angebote": "/offers", "Gute Beispiele": "/examples", "Akteure": "/actors",
              "Benachrichtigungen": "/subscriptions/new", "Berichte": "/reports"}
FOOTER = {"Impressum": "/impressum", "Datenschutz": "/datenschutz",
          "Erklärung zur Barrierefreiheit": "/barrierefreiheit", "Leichte Sprache": "/leichte-sprache"}
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
async def services(kafka_bootstrap, tmp_path):  # noqa: ANN001
    """All four services, every one told that the portal is one host (as behind the proxy)."""
    async with AsyncExitStack() as stack:
        clients = {}
        for name in PAGES:
            settings = service_settings(name, database_url=f"sqlite:///{tmp_path}/{name}.db", bootstrap=kafka_bootstrap,
                                        public_base_urls=BASES)
            clients[name] = await stack.enter_async_context(running_service(settings))
        yield clients


def links(html: str) -> dict[str, str]:
    """Link text → target, the first link of each text (the header and footer come first)."""
    found: dict[str, str] = {}
    for href, text in re.findall(r'<a [^>]*?href="([^"]+)"[^>]*>(.*?)</a>', html, re.DOTALL):
        found.setdefault(" ".join(re.sub(r"<[^>]+>", " ", text).split()), href.replace("&amp;", "&"))
    return found


async def test_every_page_of_every_service_has_the_portal_header_footer_and_headers(services):  # noqa: ANN001
    for name, paths in PAGES.items():
        for path in paths:
            response = await services[name].get(path, headers=HTML)
            assert response.status_code == 200, (name, path, response.text[-500:])
            found = links(response.text)
            for label, target in {**NAVIGATION, **FOOTER}.items():
                assert found.get(label) == f"http://portal.test{target}", (name, path, label)
            assert found["Niedersachsen packt an Bündnis für Integration"] == "http://portal.test/"
            assert '<a class="skip-link" href="#main">' in response.text and 'id="main"' in response.text
            for language in ("Deutsch", "English", "العربية", "Українська"):
                assert language in found, (name, path, language)
            # no inline script or style anywhere: the CSP forbids them
            assert "<script" not in response.text and "<style" not in response.text and " style=" not in response.text
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert response.headers["x-frame-options"] == "DENY"
    # the navigation marks where a person is
    offers = (await services["offers"].get("/offers", headers=HTML)).text
    assert re.search(r'<a href="http://portal.test/offers" aria-current="page">', offers)


async def test_unknown_paths_answer_a_page_to_browsers_and_json_to_programs(services):  # noqa: ANN001
    for name, client in services.items():
        page = await client.get("/gibt-es-nicht", headers=HTML)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), name
        assert "<h1>Seite nicht gefunden</h1>" in page.text and 'lang="de"' in page.text
        english = await client.get("/gibt-es-nicht", headers={**HTML, "Accept-Language": "en-GB,en;q=0.8"})
        assert english.status_code == 404 and 'lang="en"' in english.text and "Page not found" in english.text
        program = await client.get("/gibt-es-nicht")
        assert program.status_code == 404 and program.json() == {"detail": "Not Found"}
        api = await client.get("/api/v1/gibt-es-nicht", headers=HTML)  # an API path stays JSON
        assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


async def test_a_page_address_with_an_unreadable_value_names_it_to_browsers_and_programs(services):  # noqa: ANN001
    page = await services["actors"].get("/actors?limit=viele", headers=HTML)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Nicht möglich</h1>" in page.text and "<code>limit</code>" in page.text
    assert "content-security-policy" in page.headers
    english = await services["actors"].get("/actors?limit=viele", headers={**HTML, "Accept-Language": "en"})
    assert english.status_code == 422 and "These values in the address are not valid:" in english.text
    program = await services["actors"].get("/actors?limit=viele")
    assert program.status_code == 422 and program.json()["detail"][0]["loc"] == ["query", "limit"]
    api = await services["actors"].get("/api/v1/actors?limit=viele", headers=HTML)  # an API path stays JSON
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "limit"]


async def test_form_posts_from_another_site_are_refused_and_change_nothing(services):  # noqa: ANN001
    client = services["notifications"]
    form = {"email": "helferin@example.org", "fields": "sprache", "frequency": "immediate", "language": "de",
            "page_language": "de"}
    evil = await client.post("/subscriptions/new", data=form, headers={**HTML, "Origin": "https://evil.example"})
    assert evil.status_code == 403 and "fremden Seite" in evil.text
    assert "frame-ancestors 'none'" in evil.headers["content-security-policy"]
    as_json = await client.post("/subscriptions/new", data=form, headers={"Origin": "null"})
    assert as_json.status_code == 403 and as_json.json()["detail"][0]["loc"] == ["header", "origin"]
    cross = await client.post("/subscriptions/new", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    # served under another name than the configured one (http://localhost instead of 127.0.0.1):
    # another site's form still fails, the page's own form works
    spoofed = await client.post("/subscriptions/new", data=form, headers={"Origin": "http://evil.example",
                                                                          "Sec-Fetch-Site": "cross-site"})
    assert spoofed.status_code == 403
    admin = {"Authorization": f"Bearer {client.app.state.runtime.settings.admin_token}"}
    deliveries = await client.get("/api/v1/deliveries", headers=admin)
    assert deliveries.json()["items"] == []  # no confirmation mail was queued

    own = await client.post("/subscriptions/new", data=form, headers={**HTML, "Origin": "http://portal.test",
                                                                      "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and "Fast geschafft" in own.text
    same_host = await client.post("/subscriptions/new", data={**form, "email": "vier@example.org"},
                                  headers={"Origin": "http://portal.test", "Host": "portal.test"})
    assert same_host.status_code == 200
    other_name = await client.post("/subscriptions/new", data={**form, "email": "fuenf@example.org"},
                                   headers={"Origin": "http://localhost:8003", "Host": "localhost:8003"})
    assert other_name.status_code == 200
    # no browser at all (a mail provider's one-click unsubscribe, curl): no Origin, nothing to forge
    plain = await client.post("/subscriptions/new", data={**form, "email": "zwei@example.org"})
    assert plain.status_code == 200
    # bearer-token API calls are not affected, whatever Origin they carry
    api = await client.post("/api/v1/subscriptions", headers={"Origin": "https://evil.example"}, json={
        "email": "drei@example.org", "fields": ["sprache"], "regions": [], "frequency": "immediate", "language": "de"})
    assert api.status_code == 202


def test_the_portal_origins_come_from_the_public_base_urls():
    settings = replace(load_settings("offers"), public_base_urls={
        "actors": "https://portal.example/", "offers": "https://portal.example", "notifications": "http://127.0.0.1:8003",
        "reports": "HTTPS://Portal.Example:443"})
    from npa.infrastructure.portal import Portal

    portal = Portal("offers", settings.public_base_urls)
    assert portal.origins() == {"https://portal.example", "http://127.0.0.1:8003", "https://portal.example:443"}
    assert portal.subscribe(fields=["sprache"], regions=["03241"]) == \
        "http://127.0.0.1:8003/subscriptions/new?fields=sprache&regions=03241"
