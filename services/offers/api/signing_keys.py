"""A partner's signing keys (Ed25519 public keys for its messages on the bus, ADR 0013):
register, list, revoke. Rotation is registering the new key, switching the partner system
over, then revoking the old one. The admin or the partner's own API key may do this."""

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlmodel import Session

from npa.contracts.signatures import parse_public_key
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import ERROR
from services.offers.api.dependencies import authorize_partner, load_partner, runtime
from services.offers.models import PartnerSigningKey
from services.offers.schemas import SigningKeyBody
from services.offers.usecases import signing_keys

router = APIRouter(tags=["partners"])


@router.post("/partners/{partner_id}/signing-keys", status_code=201, dependencies=[Depends(authorize_partner)],
             responses={409: {**ERROR, "description": "this public key is registered already"}})
def register_signing_key(partner_id: str, body: SigningKeyBody, request: Request) -> dict:
    """Register a public key; messages signed with its private key are accepted from now on."""
    try:
        public_key = parse_public_key(body.public_key)
    except ValueError as problem:
        raise invalid("body", "public_key", str(problem)) from problem
    with runtime(request).transaction() as session:
        load_partner(session, partner_id)
        try:
            key = signing_keys.register(session, partner_id, public_key)
        except signing_keys.KeyTaken as problem:
            raise HTTPException(409, str(problem)) from problem
        session.commit()
        return signing_keys.key_view(key)


@router.get("/partners/{partner_id}/signing-keys", dependencies=[Depends(authorize_partner)])
def list_signing_keys(partner_id: str, request: Request) -> dict:
    with Session(runtime(request).engine) as session:
        load_partner(session, partner_id)
        return {"items": [signing_keys.key_view(key) for key in signing_keys.keys_of(session, partner_id)]}


@router.delete("/partners/{partner_id}/signing-keys/{key_id}", status_code=204,
               dependencies=[Depends(authorize_partner)])
def revoke_signing_key(partner_id: str, key_id: str, request: Request) -> Response:
    """Revoke at once: every message signed with this key is refused from now on, even one
    signed before (a leaked key could sign with any time)."""
    with runtime(request).transaction() as session:
        key = session.get(PartnerSigningKey, key_id)
        if key is None or key.partner_id != partner_id:
            raise HTTPException(404, f"signing key {key_id} of partner {partner_id} not found")
        signing_keys.revoke(session, key)
        session.commit()
    return Response(status_code=204)
