"""Jinja2 environment for a service's pages: its own templates/ plus the shared layout."""

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts

SHARED_TEMPLATES = Path(__file__).parent / "templates"


def make_templates(service_dir: Path) -> Jinja2Templates:
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(service_dir / "templates"), FileSystemLoader(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(["html", "xml"]),
    )
    environment.globals.update(FIELDS=FIELDS, DISTRICTS=districts(), ARL_REGIONS=ARL_REGIONS)
    environment.filters["field_names"] = field_names
    environment.filters["district_name"] = district_name
    environment.filters["replace_page"] = replace_page
    return Jinja2Templates(env=environment)


def field_names(slugs: list[str], lang: str = "de") -> str:
    return ", ".join(FIELDS[slug][lang] for slug in slugs if slug in FIELDS)


def district_name(key: str | None) -> str:
    if key is None:
        return "landesweit"
    district = districts().get(key)
    return district.name if district else key


def replace_page(query_params, page: int) -> str:  # noqa: ANN001
    """The current query string with another `page`, for pagination links."""
    from urllib.parse import urlencode

    items = [(key, value) for key, value in query_params.multi_items() if key != "page"]
    return urlencode([*items, ("page", str(page))])
