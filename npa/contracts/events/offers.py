"""Events on `npa.offers.v1`: an offer's full state per change."""

from datetime import date

from pydantic import BaseModel

from npa.contracts.envelope import CloudEvent
from npa.contracts.text import SingleLine

SOURCE = "/services/offers"
PUBLISHED = "de.npa.offer.published"
UPDATED = "de.npa.offer.updated"
WITHDRAWN = "de.npa.offer.withdrawn"
EXPIRED = "de.npa.offer.expired"
TYPES = (PUBLISHED, UPDATED, WITHDRAWN, EXPIRED)


class OfferState(BaseModel):
    id: str
    version: int
    status: str
    title: SingleLine  # goes into mail subjects: never a line break
    summary: str = ""
    description: str = ""
    fields: list[str]
    district: str | None = None
    postcode: str | None = None
    city: str | None = None
    address: str | None = None
    format: str | None = None
    languages: list[str] | None = None  # None: the provider did not say (ADR 19); was always a list before
    target_groups: list[str] = []
    women_only: bool = False
    childcare: bool = False
    costs: str | None = None  # None: the provider did not say; never "kostenlos" by default
    starts_on: date | None = None
    ends_on: date | None = None
    schedule: str | None = None
    registration_url: str | None = None
    contact_email: str | None = None
    accessible: str | None = None
    provider_actor_id: str | None = None
    partner_id: str | None = None
    external_id: str | None = None
    changed_fields: list[str] = []
    url: str | None = None


class OfferEvent(CloudEvent):
    """The envelope as it travels on the topic (documents the AsyncAPI catalogue)."""

    data: OfferState  # type: ignore[assignment]
