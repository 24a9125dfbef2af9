"""Request bodies of the notifications service, shared by the JSON routes and the pages (pages
never import routes)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool

from npa.contracts.validation import FieldSlugs, Regions
from services.notifications import domain

Frequency = Literal[domain.FREQUENCIES]  # type: ignore[valid-type]
Language = Literal[domain.LANGUAGES]  # type: ignore[valid-type]


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    fields: FieldSlugs
    regions: Regions = Field(default_factory=list, description="district keys and/or ARL region names; empty = all")
    frequency: Frequency = "immediate"
    language: Language = "de"
    examples: StrictBool = Field(False, description="also good examples from practice")
    new_actors: StrictBool = Field(False, description="also actors new to the alliance in my fields and regions")

    def values(self) -> dict:
        return self.model_dump(mode="json", include=set(domain.PREFERENCE_NAMES))


class SubscriptionBody(Preferences):
    email: EmailStr
