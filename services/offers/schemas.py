"""Request bodies of the offers service, shared by the JSON routes and the editor pages (pages
never import routes)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl

from npa.contracts.text import MultiLine, SingleLine
from npa.contracts.validation import DistrictKey, FieldSlugs

Title = Annotated[SingleLine, Field(min_length=3, max_length=200)]
Section = Annotated[MultiLine, Field(min_length=3, max_length=5000)]
ActorId = Annotated[SingleLine, Field(min_length=1, max_length=36)]
Period = Annotated[SingleLine, Field(min_length=2, max_length=100, examples=["seit 2023"])]


class ExampleBody(BaseModel):
    """A good example as editors submit it; `url` is the project's own web page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Title
    situation: Section = Field(description="Ausgangslage")
    goals: Section = Field(description="Ziele")
    measures: Section = Field(description="Maßnahmen")
    results: Section = Field(description="Ergebnisse")
    fields: FieldSlugs
    district: DistrictKey = Field(None, description="district key; null = state-wide")
    actor_id: ActorId = Field(description="a registered, active actor")
    contact_email: EmailStr
    period: Period
    url: HttpUrl | None = None


class ExamplePatch(BaseModel):
    """A partial update. A default is never validated, so leaving a field out keeps it,
    while an explicit null is rejected except where null means something (district, url)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Title = None  # type: ignore[assignment]
    situation: Section = None  # type: ignore[assignment]
    goals: Section = None  # type: ignore[assignment]
    measures: Section = None  # type: ignore[assignment]
    results: Section = None  # type: ignore[assignment]
    fields: FieldSlugs = None  # type: ignore[assignment]
    district: DistrictKey = None
    actor_id: ActorId = None  # type: ignore[assignment]
    contact_email: EmailStr = None  # type: ignore[assignment]
    period: Period = None  # type: ignore[assignment]
    url: HttpUrl | None = None


class PartnerBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine = Field(min_length=2, max_length=200)
    actor_id: SingleLine = Field(min_length=1, max_length=36)


class SigningKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    public_key: str = Field(min_length=40, max_length=400, description="Ed25519 public key: 32 bytes as base64, or "
                            "a PEM PUBLIC KEY block (`npa-partner keygen` prints it)")
