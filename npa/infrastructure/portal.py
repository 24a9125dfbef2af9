"""One portal over four services: where each page lives, for the shared header, footer and links.

Every service knows every service's public base URL (`NPA_PUBLIC_BASE_URL_<SERVICE>`): locally
each service has its own port, behind the production proxy they are one host and differ by path.
Links across services are built here and nowhere else.
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

# The home page and the footer pages (Impressum, Datenschutz, …) live in the offers service:
# it owns most of what the home page shows (offer search, good examples); ADR 17.
HOME_SERVICE = "offers"
STATIC_PREFIX = "/_portal/static"



def N_(message: str) -> str:  # noqa: N802 - the gettext convention: marks a msgid for extraction
    return message


# (key, German label = gettext msgid, service, path); the header's order.
NAVIGATION = (
    ("offers", N_("Angebote"), "offers", "/offers"),
    ("examples", N_("Gute Beispiele"), "offers", "/examples"),
    ("actors", N_("Akteure"), "actors", "/actors"),
    ("notifications", N_("Benachrichtigungen"), "notifications", "/subscriptions/new"),
    ("reports", N_("Berichte"), "reports", "/reports"),
)
FOOTER = (
    ("impressum", N_("Impressum"), "/impressum"),
    ("datenschutz", N_("Datenschutz"), "/datenschutz"),
    ("barrierefreiheit", N_("Erklärung zur Barrierefreiheit"), "/barrierefreiheit"),
    ("leichte-sprache", N_("Leichte Sprache"), "/leichte-sprache"),
)
# Paths that belong to a navigation entry (for aria-current); the rest of a service's pages
# have none marked.
SECTIONS = {"offers": ("/offers",), "examples": ("/examples",), "actors": ("/actors",),
            "notifications": ("/subscriptions",), "reports": ("/reports", "/ops")}
FEEDBACK_EMAIL = "barrierefreiheit@niedersachsen-packt-an.example"
CONTACT_EMAIL = "kontakt@niedersachsen-packt-an.example"


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str


@dataclass(frozen=True)
class Portal:
    service: str
    base_urls: dict[str, str]

    def url(self, service: str, path: str = "/", **query: str | list[str]) -> str:
        """An absolute link to `path` of `service`; empty query values are left out."""
        params = [(name, item) for name, value in query.items()
                  for item in (value if isinstance(value, list) else [value]) if item]
        return self.base_urls[service].rstrip("/") + path + (f"?{urlencode(params)}" if params else "")

    @property
    def home(self) -> str:
        return self.url(HOME_SERVICE, "/")

    def origins(self) -> frozenset[str]:
        """scheme://host[:port] of every service: the origins a form of the portal may come from."""
        found = set()
        for base in self.base_urls.values():
            parts = urlsplit(base)
            found.add(f"{parts.scheme}://{parts.netloc}".lower())
        return frozenset(found)

    def navigation(self) -> list[NavItem]:
        return [NavItem(key, label, self.url(service, path)) for key, label, service, path in NAVIGATION]

    def footer(self) -> list[NavItem]:
        return [NavItem(key, label, self.url(HOME_SERVICE, path)) for key, label, path in FOOTER]

    def static(self, name: str) -> str:
        """Shared assets are served by every service under the same path: stay on this one."""
        return f"{STATIC_PREFIX}/{name}"

    def current_section(self, path: str) -> str | None:
        """The navigation entry a page belongs to, if it lies on this service's share of the portal."""
        for key, service, prefixes in ((k, s, SECTIONS[k]) for k, _, s, _ in NAVIGATION):
            if service == self.service and any(path == p or path.startswith(p + "/") for p in prefixes):
                return key
        return None

    # Related things, across services (link to the other service's filtered list).
    def offers_of(self, *, provider: str | None = None, region: str | None = None, field: str | None = None) -> str:
        return self.url("offers", "/offers", provider=provider or "", region=region or "", field=field or "")

    def examples_of(self, *, actor: str | None = None, region: str | None = None, field: str | None = None) -> str:
        return self.url("offers", "/examples", actor=actor or "", region=region or "", field=field or "")

    def actor(self, actor_id: str) -> str:
        return self.url("actors", f"/actors/{actor_id}")

    def actors_in(self, *, region: str | None = None, field: str | None = None) -> str:
        return self.url("actors", "/actors", region=region or "", field=field or "")

    def subscribe(self, *, fields: list[str] | None = None, regions: list[str] | None = None) -> str:
        return self.url("notifications", "/subscriptions/new", fields=fields or [], regions=regions or [])
