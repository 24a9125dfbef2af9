"""Public HTML pages of the offers service (German first), one module per resource."""

from fastapi import APIRouter

from services.offers.pages import offers

router = APIRouter(include_in_schema=False)
router.include_router(offers.router)
