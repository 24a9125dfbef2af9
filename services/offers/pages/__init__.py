"""Public HTML pages of the offers service (German first), one module per resource."""

from fastapi import APIRouter

from services.offers.pages import examples, offers

router = APIRouter(include_in_schema=False)
for module in (offers, examples):
    router.include_router(module.router)
