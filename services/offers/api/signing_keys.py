"""A partner's signing keys (Ed25519 public keys for its messages on the bus, ADR 0013):
register, list, revoke. Rotation is registering the new key, switching the partner system
over, then revoking the old one. The admin or the partner's own API key may do this. The
routes parse the key, call `usecases.signing_keys` with the service's runtime as unit of work
and map its errors to HTTP."""

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from npa.contracts.signatures import parse_public_key
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import ERROR
from services.offers.api.dependencies import authorize_partner, runtime
from services.offers.schemas import SigningKeyBody
from services.offers.usecases import signing_keys
from services.offers.usecases.partners import PartnerNotFound

router = APIRouter(tags=["partners"])


@router.post("/partners/{partner_id}/signing-keys", status_code=201, dependencies=[Depends(authorize_partner)],
             responses={409: {**ERROR, "description": "this public key is registered already"}})
def register_signing_key(partner_id: str, body: SigningKeyBody, request: Request) -> dict:
    """Register a public key; messages signed with its private key are accepted from now on."""
    try:
        public_key = parse_public_key(body.public_key)
    except ValueError as problem:
        raise invalid("body", "public_key", str(problem)) from problem
    try:
        return signing_keys.register_signing_key(runtime(request), partner_id, public_key)
    except PartnerNotFound as problem:
        raise HTTPException(404, str(problem)) from problem
    except signing_keys.KeyTaken as problem:
        raise HTTPException(409, str(problem)) from problem


@router.get("/partners/{partner_id}/signing-keys", dependencies=[Depends(authorize_partner)])
def list_signing_keys(partner_id: str, request: Request) -> dict:
    try:
        _, keys = signing_keys.partner_signing_keys(runtime(request), partner_id)
    except PartnerNotFound as problem:
        raise HTTPException(404, str(problem)) from problem
    return {"items": keys}


@router.delete("/partners/{partner_id}/signing-keys/{key_id}", status_code=204,
               dependencies=[Depends(authorize_partner)])
def revoke_signing_key(partner_id: str, key_id: str, request: Request) -> Response:
    """Revoke at once: every message signed with this key is refused from now on, even one
    signed before (a leaked key could sign with any time)."""
    try:
        signing_keys.revoke_signing_key(runtime(request), partner_id, key_id)
    except signing_keys.SigningKeyNotFound as problem:
        raise HTTPException(404, str(problem)) from problem
    return Response(status_code=204)
