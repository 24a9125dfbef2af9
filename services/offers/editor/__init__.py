"""Editor pages of the offers service: good examples, withdrawing offers, partners and their
keys, and this service's audit trail (ADR 21). Every change is recorded in the audit trail in
the transaction of the change and its event."""

from fastapi import APIRouter

from services.offers.editor import examples, offers, partners, signing_keys

router = APIRouter(include_in_schema=False)
for module in (examples, offers, partners, signing_keys):
    router.include_router(module.router)
