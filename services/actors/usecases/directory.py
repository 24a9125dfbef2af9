"""Reading the registry: filtered, keyset-paginated directory pages and related actors, in SQL.

Actors are ordered by (sort_name, id). A cursor names the position after (or before) one
actor in that order, so a page stays where it is when actors are added or removed before it;
an offset would shift and repeat or skip entries.

`directory_page`, `actor_state` and `actor_profile` are what routes and pages call: each reads
in its own session and returns plain values. The session-taking queries they are built from
(`find_actors`, `get_state`, `working_alongside`) serve them, the tests and the benchmark.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, true, tuple_
from sqlmodel import Session, select

from npa.contracts.reference import districts_in, is_field, is_region
from npa.infrastructure.unit_of_work import UnitOfWork
from services.actors import domain, store
from services.actors.models import Actor, ActorDistrict, ActorField

MAX_TEXT = 200


class InvalidFilter(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def parse_filters(
    *,
    field: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    multiplier: bool | None = None,
    q: str | None = None,
    include_inactive: bool = False,
) -> domain.ActorFilters:
    """Checks query values (empty means "any") and resolves a region to its districts."""
    field, region, kind, q = (value.strip() if value and value.strip() else None for value in (field, region, kind, q))
    if field is not None and not is_field(field):
        raise InvalidFilter("field", f"unknown field of action {field!r}")
    if region is not None and not is_region(region):
        raise InvalidFilter("region", f"unknown region {region!r}; use a district key or an ARL region name")
    if q is not None and len(q) > MAX_TEXT:
        raise InvalidFilter("q", f"search text longer than {MAX_TEXT} characters")
    if kind is not None and kind not in domain.KINDS:
        raise InvalidFilter("kind", f"unknown kind {kind!r}; allowed: {list(domain.KINDS)}")
    return domain.ActorFilters(
        field=field,
        districts=frozenset(districts_in(region)) if region else None,
        kind=kind,
        multiplier=multiplier,
        text=domain.fold(q) if q else None,
        include_inactive=include_inactive,
    )


@dataclass(frozen=True)
class Cursor:
    direction: Literal["after", "before"]
    sort_name: str
    actor_id: str

    def encode(self) -> str:
        raw = json.dumps([self.direction[0], self.sort_name, self.actor_id], ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            mark, sort_name, actor_id = raw
            direction = {"a": "after", "b": "before"}[mark]
            if not (isinstance(sort_name, str) and isinstance(actor_id, str)):
                raise ValueError("cursor parts must be strings")
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError) as error:
            raise InvalidFilter("cursor", "invalid cursor; use a next_cursor or prev_cursor from a response") from error
        return cls(direction, sort_name, actor_id)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ActorPage:
    total: int
    offset: int  # how many matching actors come before this page
    items: list[dict]
    next_cursor: str | None
    prev_cursor: str | None


@dataclass(frozen=True)
class ActorProfile:
    """An actor's page: the actor, and the first of those who work alongside it."""

    actor: dict
    alongside_total: int
    alongside: list[dict]


def directory_page(uow: UnitOfWork, filters: domain.ActorFilters, *, limit: int, offset: int = 0,
                   cursor: Cursor | None = None) -> ActorPage:
    with uow.reading() as session:
        return find_actors(session, filters, limit=limit, offset=offset, cursor=cursor)


def actor_state(uow: UnitOfWork, actor_id: str) -> dict | None:
    with uow.reading() as session:
        return get_state(session, actor_id)


def actor_profile(uow: UnitOfWork, actor_id: str) -> ActorProfile | None:
    with uow.reading() as session:
        actor = get_state(session, actor_id)
        if actor is None:
            return None
        total, others = working_alongside(session, actor)
    return ActorProfile(actor, total, others)


def conditions(filters: domain.ActorFilters) -> list[ColumnElement[bool]]:
    """domain.matches as SQL."""
    found: list[ColumnElement[bool]] = []
    if not filters.include_inactive:
        found.append(Actor.active == true())
    if filters.field is not None:
        found.append(_has_field_in([filters.field]))
    if filters.districts is not None:
        found.append(_serves_any(filters.districts))
    if filters.kind is not None:
        found.append(Actor.kind == filters.kind)
    if filters.multiplier is not None:
        found.append(Actor.is_multiplier == filters.multiplier)
    if filters.text:
        found.append(Actor.search_text.contains(filters.text, autoescape=True))
    return found


def _has_field_in(fields: list[str]) -> ColumnElement[bool]:
    return Actor.id.in_(select(ActorField.actor_id).where(ActorField.field.in_(fields)))


def _serves_any(districts: frozenset[str] | list[str]) -> ColumnElement[bool]:
    state_wide = Actor.id.not_in(select(ActorDistrict.actor_id))
    return or_(state_wide, Actor.id.in_(select(ActorDistrict.actor_id).where(ActorDistrict.district.in_(districts))))


ORDER_KEY = tuple_(Actor.sort_name, Actor.id)


def find_actors(
    session: Session, filters: domain.ActorFilters, *, limit: int, offset: int = 0, cursor: Cursor | None = None
) -> ActorPage:
    where = and_(true(), *conditions(filters))
    actors = _fetch(session, where, limit, offset, cursor)
    if not actors and cursor is not None:
        # Everything beyond the cursor went away since it was issued: show the nearest page.
        actors = _fetch(session, where, limit, 0, None) if cursor.direction == "before" else _last(session, where, limit)
    if not actors:
        total = session.exec(select(func.count()).select_from(Actor).where(where)).one()
        return ActorPage(total, min(offset, total), [], None, None)
    first, last = actors[0], actors[-1]
    ahead_of_first = case((ORDER_KEY < tuple_(first.sort_name, first.id), 1))
    total, before = session.exec(select(func.count(), func.count(ahead_of_first)).select_from(Actor).where(where)).one()
    return ActorPage(
        total=total,
        offset=before,
        items=store.read_states(session, actors),
        next_cursor=Cursor("after", last.sort_name, last.id).encode() if before + len(actors) < total else None,
        prev_cursor=Cursor("before", first.sort_name, first.id).encode() if before else None,
    )


def _fetch(session: Session, where: ColumnElement[bool], limit: int, offset: int, cursor: Cursor | None) -> list[Actor]:
    ordered = select(Actor).where(where).order_by(Actor.sort_name, Actor.id)
    if cursor is None:
        return list(session.exec(ordered.offset(offset).limit(limit)))
    key = tuple_(cursor.sort_name, cursor.actor_id)
    if cursor.direction == "after":
        return list(session.exec(ordered.where(ORDER_KEY > key).limit(limit)))
    return _last(session, where, limit, ORDER_KEY < key)


def _last(session: Session, where: ColumnElement[bool], limit: int, *more: ColumnElement[bool]) -> list[Actor]:
    """The last `limit` actors (before a position), in directory order."""
    backwards = select(Actor).where(where, *more).order_by(Actor.sort_name.desc(), Actor.id.desc()).limit(limit)
    return list(reversed(session.exec(backwards).all()))


def get_state(session: Session, actor_id: str) -> dict | None:
    actor = session.get(Actor, actor_id)
    return store.read_state(session, actor) if actor else None


def working_alongside(session: Session, actor: dict, *, limit: int = 50) -> tuple[int, list[dict]]:
    """domain.works_alongside as SQL: how many actors there are, and the first `limit` by name."""
    where = [Actor.active == true(), Actor.id != actor["id"], _has_field_in(actor["fields"])]
    if actor["districts"]:  # a state-wide actor shares every district, so no condition
        where.append(_serves_any(actor["districts"]))
    total = session.exec(select(func.count()).select_from(Actor).where(*where)).one()
    others = session.exec(select(Actor).where(*where).order_by(Actor.sort_name, Actor.id).limit(limit)).all()
    return total, store.read_states(session, others)
