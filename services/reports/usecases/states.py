"""What the reports read of each event's `data`: only the fields they count (a tolerant reader).

The full contract models (npa.contracts.events) validate some thirty fields per offer, with
copies of every list default; the reports use eleven. Validating those eleven is about three
times faster (ADR 12) and still refuses, by name, an event the reports cannot count (a missing
id, version, status or fields). Fields the reports never read are the producer's to check.
"""

from pydantic import BaseModel, Field


class OfferFigures(BaseModel):
    id: str
    version: int
    status: str
    title: str
    fields: list[str]
    district: str | None = None
    languages: list[str] | None = None  # None: not stated (ADR 19); counted as no language
    women_only: bool = False
    childcare: bool = False
    costs: str | None = None
    provider_actor_id: str | None = None


class ExampleFigures(BaseModel):
    id: str
    version: int
    status: str
    title: str
    fields: list[str]
    district: str | None = None
    actor_id: str | None = None
    page_url: str | None = None


class ActorFigures(BaseModel):
    id: str
    version: int
    name: str
    kind: str
    districts: list[str]
    fields: list[str]
    is_multiplier: bool = False
    active: bool = True


class OutcomeFigures(BaseModel):
    """`data` of a sent or failed alert: the fields of action it was about."""

    id: str
    fields: list[str] = Field(default_factory=list)
