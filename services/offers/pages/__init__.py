"""Public HTML pages of the offers service (German first), one module per resource."""

from fastapi import APIRouter

from npa.infrastructure import portal_pages
from services.offers.pages import examples, home, offers

router = APIRouter(include_in_schema=False)
for module in (home, offers, examples, portal_pages):
    router.include_router(module.router)
