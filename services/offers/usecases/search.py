"""The offer search, in SQL: filters on derived columns, full text on FTS5 (SQLite) or a GIN
index on `to_tsvector('german', …)` (PostgreSQL), relevance or date order, keyset pages with a
total, and — when nothing is found — how to widen the search. ADR 0011.

Order: with search words, by relevance (how many of the words the title has), then newest
first; without, newest first. A cursor names the last offer of a page in that order, so the
next page neither repeats nor skips offers when offers are added in between.
"""

import base64
import binascii
import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, case, func, literal, literal_column, or_, select, text, tuple_
from sqlalchemy.orm import Session

from npa.contracts.offer_body import TARGET_GROUPS
from npa.contracts.reference import FIELDS, districts, districts_in, is_region
from services.offers.domain import search as domain
from services.offers.domain.languages import language_code
from services.offers.models import SEARCH_VECTOR, KnownActor, Offer
from services.offers.usecases.offers import offer_state

STATUSES = ("published", "expired", "withdrawn", "draft")
MAX_TEXT = 200
MAX_PROVIDERS_PER_WORD = 500


class InvalidFilter(ValueError):
    """A search parameter that cannot be searched for; `parameter` names it (HTTP 422)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def parse_filters(
    *, status: str = "published", q: str | None = None, field: str | None = None, region: str | None = None,
    language: str | None = None, target_group: str | None = None, women_only: bool | None = None,
    free: bool | None = None, childcare: bool | None = None, city: str | None = None, postcode: str | None = None,
) -> domain.SearchFilters:
    """Checks what a person or client asked for (empty means "any") and resolves names."""
    q, field, region, language, target_group, city, postcode = (
        _blank(value) for value in (q, field, region, language, target_group, city, postcode))
    if status not in STATUSES:
        raise InvalidFilter("status", f"unknown status {status!r}; allowed: {list(STATUSES)}")
    if q is not None and len(q) > MAX_TEXT:
        raise InvalidFilter("q", f"search text longer than {MAX_TEXT} characters")
    if field is not None and field not in FIELDS:
        raise InvalidFilter("field", f"unknown field of action {field!r}; allowed: {list(FIELDS)}")
    if region is not None and not is_region(region):
        raise InvalidFilter("region", f"unknown region {region!r}; use a district key or an ARL region name")
    code = language_code(language) if language is not None else None
    if language is not None and code is None:
        raise InvalidFilter("language", f"unknown language {language!r}; use an ISO 639-1 code or a German or "
                                        "English name, e.g. 'ar', 'Arabisch' or 'Arabic'")
    if target_group is not None and target_group not in TARGET_GROUPS:
        raise InvalidFilter("target_group", f"unknown target group {target_group!r}; allowed: {list(TARGET_GROUPS)}")
    if postcode is not None and not (postcode.isascii() and postcode.isdigit() and len(postcode) <= 5):
        raise InvalidFilter("postcode", f"postcode {postcode!r}: 1 to 5 digits (the start of a postcode)")
    if city is not None and (len(city) > 100 or domain.city_key(city) is None):
        raise InvalidFilter("city", f"city {city!r}: a place name of at most 100 characters")
    return domain.SearchFilters(
        status=status, text=q or "", terms=domain.query_terms(q), field=field, region=region,
        districts=frozenset(districts_in(region)) if region else None, language=code, target_group=target_group,
        women_only=women_only, free=free, childcare=childcare, city=city, city_key=domain.city_key(city),
        postcode=postcode,
    )


@dataclass(frozen=True)
class Cursor:
    """Position after one offer: (relevance or None, created_at, id)."""

    score: int | None
    created_at: datetime
    offer_id: str

    def encode(self) -> str:
        raw = json.dumps([self.score, self.created_at.isoformat(), self.offer_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            score, created_at, offer_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not (score is None or isinstance(score, int)) or not isinstance(offer_id, str):
                raise ValueError("cursor parts have the wrong types")
            moment = datetime.fromisoformat(created_at)
            if moment.utcoffset() is None:
                raise ValueError("cursor time without time zone")
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
            raise InvalidFilter("cursor", "invalid cursor; use the next_cursor of a response") from error
        return cls(score, moment, offer_id)


@dataclass(frozen=True)
class OfferPage:
    total: int
    items: list[dict]
    next_cursor: str | None


def _text_match(session: Session, terms: tuple[str, ...]) -> ColumnElement[bool]:
    """Offers whose search tokens start with every one of `terms` (prefix match: "Sprach" finds
    "Sprachkurs"), through the full-text index of the database at hand."""
    if session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{term}:*" for term in terms)
        return literal_column(SEARCH_VECTOR).op("@@")(func.to_tsquery(literal_column("'german'"), query))
    match = " AND ".join(f'"{term}"*' for term in terms)
    rowids = select(literal_column("rowid")).select_from(text("offers_fts")).where(
        literal_column("offers_fts").op("MATCH")(match))
    return literal_column("offers.rowid").in_(rowids)


def _text_conditions(session: Session, terms: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Each word must match the offer's text or its provider's name (from known_actors). The
    words no provider has are matched together, in one index lookup."""
    alone: list[str] = []
    found: list[ColumnElement[bool]] = []
    for term in terms:
        providers = list(session.execute(select(KnownActor.id).where(  # type: ignore[call-overload]
            KnownActor.search_name.like(f"% {term}%")).limit(MAX_PROVIDERS_PER_WORD)).scalars())
        if providers:
            found.append(or_(_text_match(session, (term,)), Offer.provider_actor_id.in_(providers)))  # type: ignore[union-attr]
        else:
            alone.append(term)
    if alone:
        found.insert(0, _text_match(session, tuple(alone)))
    return found


def conditions(session: Session, filters: domain.SearchFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [Offer.status == filters.status]  # type: ignore[list-item]
    if filters.terms:
        found.extend(_text_conditions(session, filters.terms))
    for column, value in ((Offer.search_fields, filters.field), (Offer.search_languages, filters.language),
                          (Offer.search_target_groups, filters.target_group)):
        if value is not None:
            found.append(column.like(f"% {value} %"))  # type: ignore[attr-defined]
    if filters.districts is not None:
        found.append(or_(Offer.district.in_(sorted(filters.districts)), Offer.district.is_(None)))  # type: ignore[union-attr]
    for column, flag in ((Offer.women_only, filters.women_only), (Offer.free, filters.free),
                         (Offer.childcare, filters.childcare)):
        if flag is not None:
            found.append(column == flag)  # type: ignore[arg-type]
    if filters.city_key is not None:
        found.append(Offer.city_key == filters.city_key)  # type: ignore[arg-type]
    if filters.postcode is not None:
        low, high = domain.postcode_range(filters.postcode)
        found.append(Offer.postcode >= low)  # type: ignore[operator]
        if high is not None:
            found.append(Offer.postcode < high)  # type: ignore[operator]
    return found


def _score(terms: tuple[str, ...]) -> ColumnElement[int]:
    """Relevance: how many of the search words the title has (the same on both databases, and
    independent of the other offers, so a cursor stays valid)."""
    if not terms:
        return literal(0, Integer)
    hits = [case((Offer.search_title.like(f"% {term}%"), 1), else_=0) for term in terms]  # type: ignore[attr-defined]
    total = hits[0]
    for hit in hits[1:]:
        total = total + hit
    return total


def count(session: Session, filters: domain.SearchFilters) -> int:
    return session.execute(select(func.count()).select_from(Offer).where(*conditions(session, filters))).scalar_one()


def search_offers(session: Session, filters: domain.SearchFilters, *, limit: int, base_url: str,
                  cursor: Cursor | None = None, offset: int = 0) -> OfferPage:
    """One page of matching offers and how many match in all."""
    where = conditions(session, filters)
    total = session.execute(select(func.count()).select_from(Offer).where(*where)).scalar_one()
    score = _score(filters.terms)
    order = (score.desc(), Offer.created_at.desc(), Offer.id.desc()) if filters.terms else (  # type: ignore[attr-defined]
        Offer.created_at.desc(), Offer.id.desc())  # type: ignore[attr-defined]
    query = select(Offer, score).where(*where).order_by(*order).limit(limit + 1)
    if cursor is not None:
        if filters.terms:
            query = query.where(tuple_(score, Offer.created_at, Offer.id) < (cursor.score or 0, cursor.created_at,
                                                                             cursor.offer_id))
        else:
            query = query.where(tuple_(Offer.created_at, Offer.id) < (cursor.created_at, cursor.offer_id))
    elif offset:
        query = query.offset(offset)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last, last_score = rows[-1]
        next_cursor = Cursor(last_score if filters.terms else None, last.created_at, last.id).encode()
    return OfferPage(total, [offer_state(offer, base_url=base_url) for offer, _ in rows], next_cursor)


@dataclass(frozen=True)
class Widening:
    """A wider search than the one that found nothing: `dropped` names what was let go
    ("childcare", "region", "word:…", "region→Weser-Ems") and `total` what it finds."""

    dropped: str
    filters: domain.SearchFilters
    total: int


def widenings(session: Session, filters: domain.SearchFilters) -> list[Widening]:
    """Searches one step wider, each with its count: one filter left out, a district widened to
    its ARL region and then to the whole state, one of several words left out."""
    wider: list[tuple[str, domain.SearchFilters]] = []
    words = filters.text.split()
    if len(words) > 1:
        for index, word in enumerate(words):
            rest = " ".join(words[:index] + words[index + 1:])
            wider.append((f"word:{word}", replace(filters, text=rest, terms=domain.query_terms(rest))))
    elif filters.terms:
        wider.append(("q", replace(filters, text="", terms=())))
    if filters.region is not None:
        district = districts().get(filters.region)
        if district is not None:
            wider.append((f"region→{district.arl_region}", replace(
                filters, region=district.arl_region, districts=frozenset(districts_in(district.arl_region)))))
        wider.append(("region", replace(filters, region=None, districts=None)))
    for name, empty in (("field", None), ("language", None), ("target_group", None), ("women_only", None),
                        ("free", None), ("childcare", None), ("city", None), ("postcode", None)):
        if getattr(filters, name) is not None:
            wider.append((name, replace(filters, **{name: empty}, **({"city_key": None} if name == "city" else {}))))
    return [Widening(dropped, wide, total) for dropped, wide in wider if (total := count(session, wide))]
