"""Inbound events on `npa.partner.offers.v1`, produced by partner systems.

Key `<partner_id>:<external_id>`, source `/partners/<partner_id>`.
"""

from pydantic import BaseModel, ConfigDict, Field

from npa.contracts.envelope import CloudEvent
from npa.contracts.offer_body import OfferBody
from npa.contracts.text import SingleLine

UPSERTED = "de.npa.partner.offer.upserted"
DELETED = "de.npa.partner.offer.deleted"
TYPES = (UPSERTED, DELETED)

ExternalId = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")


def source_of(partner_id: str) -> str:
    return f"/partners/{partner_id}"


def key_of(partner_id: str, external_id: str) -> str:
    return f"{partner_id}:{external_id}"


class PartnerOfferDeleted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: SingleLine = Field(min_length=1, max_length=64)
    external_id: str = ExternalId


class PartnerOfferUpserted(PartnerOfferDeleted):
    offer: OfferBody


class PartnerOfferEvent(CloudEvent):
    """The envelope a partner system produces and signs (documents the AsyncAPI catalogue)."""

    data: PartnerOfferUpserted | PartnerOfferDeleted  # type: ignore[assignment]
    npakeyid: str = Field(description="id of the partner's registered Ed25519 signing key (ADR 0013)")
    npasignature: str = Field(description="Ed25519 signature, base64url: npa.contracts.signatures")
