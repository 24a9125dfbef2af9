"""JSON routes of the offers service, one module per resource."""

from fastapi import APIRouter

from services.offers.api import offers, partners

router = APIRouter(prefix="/api/v1")
router.include_router(partners.router)
router.include_router(offers.router)
