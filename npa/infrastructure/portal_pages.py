"""The portal's own pages: Impressum, Datenschutz, Erklärung zur Barrierefreiheit, Leichte Sprache.

Served by the home service (npa.infrastructure.portal.HOME_SERVICE); every footer links here.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from npa.infrastructure.pages import make_templates
from npa.infrastructure.portal import CONTACT_EMAIL, FEEDBACK_EMAIL

router = APIRouter(include_in_schema=False)
templates = make_templates()
PAGES = {"impressum": "portal/impressum.html", "datenschutz": "portal/datenschutz.html",
         "barrierefreiheit": "portal/barrierefreiheit.html", "leichte-sprache": "portal/leichte_sprache.html"}


def _page(name: str):  # noqa: ANN202
    def show(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, PAGES[name], {"feedback_email": FEEDBACK_EMAIL,
                                                                 "contact_email": CONTACT_EMAIL})
    show.__name__ = f"portal_{name.replace('-', '_')}"
    return show


for _name in PAGES:
    router.add_api_route(f"/{_name}", _page(_name), methods=["GET"], response_class=HTMLResponse)
