"""Events on `npa.examples.v1`: a good example's full state per change."""

from pydantic import BaseModel

from npa.contracts.envelope import CloudEvent
from npa.contracts.text import SingleLine

SOURCE = "/services/offers"
PUBLISHED = "de.npa.example.published"
UPDATED = "de.npa.example.updated"
WITHDRAWN = "de.npa.example.withdrawn"
TYPES = (PUBLISHED, UPDATED, WITHDRAWN)


class ExampleState(BaseModel):
    id: str
    version: int
    status: str
    title: SingleLine  # goes into mail subjects: never a line break
    situation: str = ""
    goals: str = ""
    measures: str = ""
    results: str = ""
    fields: list[str]
    district: str | None = None
    actor_id: str | None = None
    contact_email: str | None = None
    period: str | None = None
    url: str | None = None  # the project's own web page, as editors entered it
    page_url: str | None = None  # the example's public page on this platform


class ExampleEvent(CloudEvent):
    """The envelope as it travels on the topic (documents the AsyncAPI catalogue)."""

    data: ExampleState  # type: ignore[assignment]
