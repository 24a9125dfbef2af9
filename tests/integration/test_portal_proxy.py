"""The portal proxy of docker-compose.yml (issue 11, point 1): every page of every service under
one host by path, every service linking through that host. No Docker engine here: the real
Caddy (Debian's `caddy`, scripts/ensure_system_packages.sh) runs the committed Caddyfile on a
loopback port, with each service's `reverse_proxy` block (Docker DNS upstreams) replaced by a
`respond` with the service's name, so what is tested is Caddy's own choice of a handle for each
path. The paths are every route of every service, read from the services' apps."""

import importlib
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from tests.integration.test_compose import REPO, SERVICES, environment, service
from tests.support.processes import free_port, wait_for_port

PORTAL_CADDYFILE = REPO / "deploy" / "proxy" / "portal.Caddyfile"
CATCH_ALL = "offers"  # the Caddyfile's last `handle`: home page, footer pages, offers, examples, partners
# A page or API path of each service → the service the proxy must send it to (with query-less
# sample values; the routes themselves are read from the apps below).
PORTAL_ROUTES = {
    "/": "offers", "/offers": "offers", "/offers/o-1": "offers", "/examples/e-1": "offers", "/impressum": "offers",
    "/_portal/static/portal.css": "offers", "/api/v1/partners/p/offers/x": "offers",
    "/actors": "actors", "/actors/a-1": "actors", "/api/v1/actors": "actors",
    "/subscriptions/new": "notifications", "/subscriptions/manage": "notifications",
    "/api/v1/subscriptions": "notifications", "/reports": "reports", "/reports/map.css": "reports",
    "/ops": "reports", "/api/v1/regions": "reports", "/api/v1/reports/coverage": "reports",
    "/editor": "actors", "/editor/sign-in": "actors", "/editor/audit": "actors", "/editor/actors/a-1": "actors",
    "/editor/examples/e-1/publish": "offers", "/editor/offers-audit": "offers", "/editor/partners/p-1/keys": "offers",
    "/editor/dead-letters": "reports",
}


def service_routes(var_dir: str) -> dict[str, set[str]]:
    """Every route path of every service (parameters filled in) → the services that serve it."""
    owners: dict[str, set[str]] = defaultdict(set)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NPA_VAR_DIR", var_dir)  # the apps are only built, never started: nothing in ./var
        for name in SERVICES:
            app = importlib.import_module(f"services.{name}.app").create_app()
            for route in iter_route_contexts(app.routes):
                if route.path:
                    owners[re.sub(r"\{[^}]*\}", "x-1", route.path)].add(name)
    return owners


def expected_routes(owners: dict[str, set[str]]) -> dict[str, str]:
    """A path one service serves must reach it; a path every service serves (health, metrics,
    API docs, shared assets, `/`) reaches the catch-all (ADR 17); two or three owners is a clash."""
    clashes = {path: sorted(names) for path, names in owners.items() if 1 < len(names) < len(SERVICES)}
    assert not clashes, f"the proxy can send a path to one service only: {clashes}"
    return {path: next(iter(names)) if len(names) == 1 else CATCH_ALL for path, names in owners.items()}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    caddy = shutil.which("caddy")
    assert caddy, "Caddy is missing: run scripts/ensure_system_packages.sh (apt-get install caddy)"
    port = free_port()
    text = PORTAL_CADDYFILE.read_text(encoding="utf-8")
    text, listeners = re.subn(r"^:8080 \{", f"http://127.0.0.1:{port} {{", text, flags=re.MULTILINE)
    text, upstreams = re.subn(r"reverse_proxy \{\s*dynamic a (\w+) \d+ \{[^}]*\}[^}]*\}", r'respond "\1" 200', text)
    assert (listeners, upstreams) == (1, len(SERVICES)), "the portal Caddyfile changed shape: adapt this test"
    config = tmp_path_factory.mktemp("portal") / "Caddyfile"
    config.write_text(text, encoding="utf-8")
    process = subprocess.Popen([caddy, "run", "--adapter", "caddyfile", "--config", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 20)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def test_portal_proxy_serves_every_service_under_one_host() -> None:
    portal = service("portal")
    assert "8080:8080" in [str(p) for p in portal["ports"]]
    assert any("portal.Caddyfile:/etc/caddy/Caddyfile" in str(v) for v in portal["volumes"])
    text = PORTAL_CADDYFILE.read_text(encoding="utf-8")
    for name, port in SERVICES.items():
        assert f"dynamic a {name} {port}" in text
        # every service links to every other through the one host
        assert environment(service(name))[f"NPA_PUBLIC_BASE_URL_{name.upper()}"].endswith(":-http://localhost:8080}")


def test_every_route_of_every_service_reaches_that_service_through_the_portal(portal: str, tmp_path) -> None:  # noqa: ANN001
    expected = expected_routes(service_routes(str(tmp_path)))
    editor = {path: name for path, name in expected.items() if path.startswith("/editor")}
    assert set(editor.values()) == {"actors", "offers", "reports"} and len(editor) >= 20, editor
    expected.update(PORTAL_ROUTES)
    with httpx.Client(base_url=portal, timeout=10) as client:
        answered = {path: client.get(path).text for path in expected}
    assert answered == expected
