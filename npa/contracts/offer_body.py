"""The offer body of the HTTP contract, shared by REST, bulk and Kafka partner ingestion.

One validation path: every way an offer reaches the platform is checked by this model,
so an error names the same field whatever the channel.
"""

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, StrictBool, ValidationInfo, field_validator

from npa.contracts.text import MultiLine, SingleLine
from npa.contracts.validation import DistrictKey, FieldSlugs

OFFER_FORMATS = ("vor_ort", "online", "telefon")
TARGET_GROUPS = ("frauen", "kinder", "jugendliche", "familien", "erwachsene", "senioren", "alle")
ACCESSIBILITY = ("ja", "nein", "unbekannt")
LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
FREE_WORDS = ("kostenlos", "kostenfrei", "gebührenfrei", "gratis", "umsonst", "free", "keine kosten")
ZERO_PRICE = re.compile(r"^0+([.,]0+)?\s*(€|eur|euro)?$")


def is_free(costs: str | None) -> bool:
    """Free of charge when the provider says so in words or as a zero price; unknown is not free.

    One rule for the offer search and the reports, so "free" means the same everywhere.
    """
    if not costs:
        return False
    text = " ".join(costs.casefold().split())
    return text.startswith(FREE_WORDS) or text == "keine" or bool(ZERO_PRICE.match(text))


class OfferBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: SingleLine = Field(min_length=3, max_length=200)
    summary: MultiLine = Field("", max_length=500)
    description: MultiLine = Field("", max_length=10_000)
    fields: FieldSlugs
    district: DistrictKey = None
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    city: SingleLine | None = Field(None, max_length=100)
    address: SingleLine | None = Field(None, max_length=200)
    format: Literal[OFFER_FORMATS] = "vor_ort"  # type: ignore[valid-type]
    # Not stated → None ("keine Angabe"): never guessed as German or free (ADR 19).
    languages: list[str] | None = Field(None, min_length=1, max_length=20)
    target_groups: list[Literal[TARGET_GROUPS]] = Field(default_factory=lambda: ["alle"])  # type: ignore[valid-type]
    women_only: StrictBool = False
    childcare: StrictBool = False
    costs: SingleLine | None = Field(None, max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None
    schedule: MultiLine | None = Field(None, max_length=500)
    registration_url: HttpUrl | None = None
    contact_email: EmailStr | None = None
    contact_phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9 ()/-]{2,38}$")
    accessible: Literal[ACCESSIBILITY] = "unbekannt"  # type: ignore[valid-type]
    provider_actor_id: SingleLine | None = Field(None, max_length=64)

    @field_validator("languages")
    @classmethod
    def language_codes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        bad = [code for code in value if not LANGUAGE_CODE.match(code)]
        if bad:
            raise ValueError(f"not ISO 639-1 codes: {bad}")
        return sorted(set(value))

    @field_validator("ends_on")
    @classmethod
    def ends_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        starts_on = info.data.get("starts_on")
        if value and starts_on and value < starts_on:
            raise ValueError("ends_on lies before starts_on")
        return value

    def state(self) -> dict:
        """The body as plain JSON-ready values, for storage and events."""
        return self.model_dump(mode="json")
