"""Good examples: load, decide (domain rules), store, stage the event.

Each operation that the routes and pages call takes a `uow` and owns its transaction: a write
loads the example locked, decides, stores, stages the event and, when an editor made the
change, records the audit entry (`by`), then commits all of it at once (transactional outbox);
a read returns detached examples. The session-taking steps below them work in the caller's
transaction.
"""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.events import examples as example_events
from npa.contracts.reference import districts_in
from npa.infrastructure import audit
from npa.infrastructure.database import lock_for_write
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.outbox import stage, utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers.domain import examples as domain
from services.offers.usecases.known_actors import UNKNOWN_ACTOR, is_known_and_active
from services.offers.models import Example


class UnknownActor(ValueError):
    """actor_id names no known, active actor."""


class ExampleNotFound(LookupError):
    def __init__(self, example_id: str) -> None:
        super().__init__(f"example {example_id} not found")


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


def create_example(uow: UnitOfWork, body: dict[str, Any], *, by: Editor | None = None) -> Example:
    """`by` is the editor named in the audit trail; the JSON API's admin token records none."""
    with uow.transaction() as session:
        example = create_draft(session, body)
        if by is not None:
            session.flush()
            audit.record(session, by, "example.drafted", "example", example.id, example.title)
        session.commit()
    return example


def update_example(uow: UnitOfWork, example_id: str, changes: dict[str, Any], *, base_url: str,
                   by: Editor | None = None) -> Example:
    """Only an actual change is recorded in the audit trail (and announced, once published)."""
    with uow.transaction() as session:
        example = load_for_update(session, example_id)
        transition = apply_changes(session, example, changes, base_url=base_url)
        if by is not None and transition.changed_fields:
            audit.record(session, by, "example.updated", "example", example.id,
                         f"{example.title}: {', '.join(transition.changed_fields)}")
        session.commit()
    return example


def publish_example(uow: UnitOfWork, example_id: str, *, base_url: str, by: Editor | None = None) -> Example:
    """A draft, or a withdrawn example again; publishing twice changes nothing."""
    return _change_status(uow, example_id, publish, "example.published", base_url, by)


def withdraw_example(uow: UnitOfWork, example_id: str, *, base_url: str, by: Editor | None = None) -> Example:
    """A draft is discarded quietly; withdrawing twice changes nothing."""
    return _change_status(uow, example_id, withdraw, "example.withdrawn", base_url, by)


def _change_status(uow: UnitOfWork, example_id: str, step: Callable[..., domain.Transition], action: str,
                   base_url: str, by: Editor | None) -> Example:
    with uow.transaction() as session:
        example = load_for_update(session, example_id)
        transition = step(session, example, base_url=base_url)
        if by is not None and transition.changed_fields:
            audit.record(session, by, action, "example", example.id, example.title)
        session.commit()
    return example


def get_example(uow: UnitOfWork, example_id: str) -> Example | None:
    """Whatever its status: whether the reader may see it is the caller's to decide."""
    with uow.reading() as session:
        return find_example(session, example_id)


def find_examples(
    uow: UnitOfWork, *, status: str = domain.PUBLISHED, field: str | None = None, region: str | None = None,
    text: str = "", actor: str | None = None,
) -> list[Example]:
    """Examples of one status matching the filters, by title. Field and text are matched in
    Python: JSON list membership has no portable SQL, and editors curate a few hundred at most."""
    query = select(Example).where(Example.status == status).order_by(Example.title, Example.id)  # type: ignore[arg-type]
    districts = districts_in(region) if region else None
    with uow.reading() as session:
        return [
            example for example in session.exec(query)
            if domain.matches(example.body, field=field, districts=districts, text=text)
            and (actor is None or example.body.get("actor_id") == actor)
        ]


def latest_examples(uow: UnitOfWork, limit: int = 3) -> list[Example]:
    """The most recently published good examples (for the home page)."""
    query = (select(Example).where(Example.status == domain.PUBLISHED)  # type: ignore[arg-type]
             .order_by(Example.published_at.desc(), Example.id).limit(limit))  # type: ignore[union-attr]
    with uow.reading() as session:
        return list(session.exec(query))


def recently_changed_examples(uow: UnitOfWork, limit: int = 200) -> list[Example]:
    """Every status, the last changed first (the editors' list)."""
    query = select(Example).order_by(Example.updated_at.desc()).limit(limit)  # type: ignore[attr-defined]
    with uow.reading() as session:
        return list(session.exec(query))


def create_draft(session: Session, body: dict[str, Any]) -> Example:
    """A new draft: stored, not announced (no event until it is published)."""
    check_actor(session, body["actor_id"])
    example = Example(status=domain.DRAFT, version=domain.DRAFT_VERSION, title=body["title"],
                      district=body.get("district"), body=body)
    session.add(example)
    return example


def find_example(session: Session, example_id: str, *, for_update: bool = False) -> Example | None:
    """for_update locks the row (`lock_for_write`), so concurrent writers cannot both take version n+1."""
    if for_update:
        lock_for_write(session)
    return session.get(Example, example_id, with_for_update=for_update or None)


def load_for_update(session: Session, example_id: str) -> Example:
    example = find_example(session, example_id, for_update=True)
    if example is None:
        raise ExampleNotFound(example_id)
    return example


def apply_changes(session: Session, example: Example, changes: dict[str, Any], *, base_url: str
                   ) -> domain.Transition:
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


def publish(session: Session, example: Example, *, base_url: str) -> domain.Transition:
    transition = domain.decide_publication(example.status)
    if transition.publishes:
        example.published_at = utcnow()
    _apply(session, example, transition, base_url)
    return transition


def withdraw(session: Session, example: Example, *, base_url: str) -> domain.Transition:
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

