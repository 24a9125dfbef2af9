"""Good examples: load, decide (domain rules), store, stage the event.

Each operation takes the caller's session and the caller commits, so a state change and
its event land in one transaction (transactional outbox).
"""

from typing import Any

from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.events import examples as example_events
from npa.contracts.reference import districts_in
from npa.infrastructure.outbox import stage, utcnow
from services.offers.domain import examples as domain
from services.offers.usecases.known_actors import UNKNOWN_ACTOR, is_known_and_active
from services.offers.models import Example, KnownActor


class UnknownActor(ValueError):
    """actor_id names no known, active actor."""


def page_url(base_url: str, example_id: str) -> str:
    return f"{base_url}/examples/{example_id}"


def example_state(example: Example, base_url: str) -> dict[str, Any]:
    """The full state as the API answers it and the events carry it: `url` is the project's
    own link (HTTP contract), `page_url` the example's public page here."""
    state = example_events.ExampleState(
        **example.body, id=example.id, version=example.version, status=example.status,
        page_url=page_url(base_url, example.id),
    )
    return state.model_dump(mode="json")


def check_actor(session: Session, actor_id: str) -> None:
    if not is_known_and_active(session, actor_id):
        raise UnknownActor(UNKNOWN_ACTOR.format(actor_id))


def actor_name(session: Session, actor_id: str | None) -> str | None:
    actor = session.get(KnownActor, actor_id) if actor_id else None
    return actor.name if actor else None


def create_draft(session: Session, body: dict[str, Any]) -> Example:
    """A new draft: stored, not announced (no event until it is published)."""
    check_actor(session, body["actor_id"])
    example = Example(status=domain.DRAFT, version=domain.DRAFT_VERSION, title=body["title"],
                      district=body.get("district"), body=body)
    session.add(example)
    return example


def find_example(session: Session, example_id: str, *, for_update: bool = False) -> Example | None:
    """for_update locks the row (PostgreSQL), so concurrent writers cannot both take version n+1."""
    return session.get(Example, example_id, with_for_update=for_update or None)


def update_example(session: Session, example: Example, changes: dict[str, Any], *, base_url: str) -> domain.Transition:
    """Apply a partial update; only an actual change of a published example is announced."""
    if "actor_id" in changes:
        check_actor(session, changes["actor_id"])
    transition = domain.decide_update(example.status, example.body, changes)
    if transition.changed_fields:
        example.body = {**example.body, **changes}  # a new dict: the JSON column sees only assignments
        example.title = example.body["title"]
        example.district = example.body.get("district")
    _apply(session, example, transition, base_url)
    return transition


def publish_example(session: Session, example: Example, *, base_url: str) -> domain.Transition:
    transition = domain.decide_publication(example.status)
    if transition.publishes:
        example.published_at = utcnow()
    _apply(session, example, transition, base_url)
    return transition


def withdraw_example(session: Session, example: Example, *, base_url: str) -> domain.Transition:
    transition = domain.decide_withdrawal(example.status)
    _apply(session, example, transition, base_url)
    return transition


def _apply(session: Session, example: Example, transition: domain.Transition, base_url: str) -> None:
    if not transition.changed_fields:
        return
    example.status = transition.status
    example.version = transition.next_version(example.version)
    example.updated_at = utcnow()
    session.add(example)
    if transition.event_type is not None:
        stage(session, topics.EXAMPLES, source=example_events.SOURCE, type=transition.event_type,
              subject=example.id, data=example_state(example, base_url))


def find_examples(
    session: Session, *, status: str = domain.PUBLISHED, field: str | None = None, region: str | None = None,
    text: str = "", actor: str | None = None,
) -> list[Example]:
    """Examples of one status matching the filters, by title. Field and text are matched in
    Python: JSON list membership has no portable SQL, and editors curate a few hundred at most."""
    query = select(Example).where(Example.status == status).order_by(Example.title, Example.id)  # type: ignore[arg-type]
    districts = districts_in(region) if region else None
    return [
        example for example in session.exec(query)
        if domain.matches(example.body, field=field, districts=districts, text=text)
        and (actor is None or example.body.get("actor_id") == actor)
    ]


def latest_examples(session: Session, limit: int = 3) -> list[Example]:
    """The most recently published good examples (for the home page)."""
    query = (select(Example).where(Example.status == domain.PUBLISHED)  # type: ignore[arg-type]
             .order_by(Example.published_at.desc(), Example.id).limit(limit))  # type: ignore[union-attr]
    return list(session.exec(query))
