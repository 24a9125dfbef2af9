"""JSON routes of the offers service, one module per resource."""

from fastapi import APIRouter

from services.offers.api import examples, offers, partner_imports, partner_offers, partners, signing_keys

router = APIRouter(prefix="/api/v1")
for module in (partners, signing_keys, partner_imports, partner_offers, offers, examples):
    router.include_router(module.router)
