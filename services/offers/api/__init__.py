"""JSON routes of the offers service, one module per resource."""

from fastapi import APIRouter, Depends

from npa.infrastructure.openapi_errors import known_query_only

from services.offers.api import (
    examples,
    offers,
    partner_imports,
    partner_offers,
    partner_status,
    partners,
    signing_keys,
)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(known_query_only)])
for module in (partners, signing_keys, partner_status, partner_imports, partner_offers, offers, examples):
    router.include_router(module.router)
