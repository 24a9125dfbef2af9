"""The portal proxy of docker-compose.yml (issue 11, point 1): every page of every service under
one host by path, every service linking through that host. Checked statically (no Docker engine
here); `caddy validate --adapter caddyfile --config deploy/proxy/portal.Caddyfile` accepts it."""

import re

from tests.integration.test_compose import REPO, SERVICES, environment, service


PORTAL_CADDYFILE = REPO / "deploy" / "proxy" / "portal.Caddyfile"
# A page or API path of each service → the service the proxy must send it to.
PORTAL_ROUTES = {
    "/": "offers", "/offers": "offers", "/offers/o-1": "offers", "/examples/e-1": "offers", "/impressum": "offers",
    "/_portal/static/portal.css": "offers", "/api/v1/partners/p/offers/x": "offers",
    "/actors": "actors", "/actors/a-1": "actors", "/api/v1/actors": "actors",
    "/subscriptions/new": "notifications", "/subscriptions/manage": "notifications",
    "/api/v1/subscriptions": "notifications", "/reports": "reports", "/reports/map.css": "reports",
    "/ops": "reports", "/api/v1/regions": "reports", "/api/v1/reports/coverage": "reports",
}


def _portal_matchers() -> dict[str, list[str]]:
    text = PORTAL_CADDYFILE.read_text(encoding="utf-8")
    return {name: paths.split() for name, paths in re.findall(r"^\s*@(\w+) path (.+)$", text, re.MULTILINE)}


def _route(path: str) -> str:
    for name, patterns in _portal_matchers().items():
        for pattern in patterns:
            if path == pattern or (pattern.endswith("/*") and path.startswith(pattern[:-1])):
                return name
    return "offers"  # the catch-all `handle`


def test_portal_proxy_serves_every_service_under_one_host() -> None:
    portal = service("portal")
    assert "8080:8080" in [str(p) for p in portal["ports"]]
    assert any("portal.Caddyfile:/etc/caddy/Caddyfile" in str(v) for v in portal["volumes"])
    text = PORTAL_CADDYFILE.read_text(encoding="utf-8")
    for name, port in SERVICES.items():
        assert f"dynamic a {name} {port}" in text
        # every service links to every other through the one host
        assert environment(service(name))[f"NPA_PUBLIC_BASE_URL_{name.upper()}"].endswith(":-http://localhost:8080}")
    assert {path: _route(path) for path in PORTAL_ROUTES} == PORTAL_ROUTES
