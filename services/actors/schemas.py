"""Request and response bodies of the actors service, shared by the JSON routes and the editor
pages (pages never import routes)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, StrictBool, field_validator

from npa.contracts.events.actors import ActorState
from npa.contracts.text import MultiLine, SingleLine
from npa.contracts.validation import DistrictKeys, FieldSlugs
from services.actors import domain

Kind = Literal[domain.KINDS]  # type: ignore[valid-type]
PHONE = r"^[0-9 +()/-]{3,50}$"


class ActorBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine = Field(min_length=2, max_length=200)
    kind: Kind
    districts: DistrictKeys = Field(default_factory=list, description="district keys (AGS); empty = state-wide")
    fields: FieldSlugs
    description: MultiLine = Field("", max_length=5000)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=50, pattern=PHONE)
    website: HttpUrl | None = None
    address: SingleLine | None = Field(None, max_length=200)
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    is_multiplier: StrictBool = False


class ActorPatch(BaseModel):
    """Only the fields sent change; contact fields may be cleared with null, the others not."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine | None = Field(None, min_length=2, max_length=200)
    kind: Kind | None = None
    districts: DistrictKeys | None = None
    fields: FieldSlugs | None = None
    description: MultiLine | None = Field(None, max_length=5000)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=50, pattern=PHONE)
    website: HttpUrl | None = None
    address: SingleLine | None = Field(None, max_length=200)
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    is_multiplier: StrictBool | None = None

    @field_validator("name", "kind", "districts", "fields", "description", "is_multiplier", mode="before")
    @classmethod
    def not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value


class ActorList(BaseModel):
    total: int = Field(description="actors matching the filters, on all pages")
    offset: int = Field(description="matching actors before this page")
    items: list[ActorState]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    prev_cursor: str | None = Field(description="pass as `cursor` for the previous page; null on the first page")
