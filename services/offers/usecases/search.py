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

from sqlalchemy import ColumnElement, case, func, literal_column, select, text, tuple_
from sqlalchemy.orm import Session

from npa.contracts.offer_body import TARGET_GROUPS
from npa.contracts.reference import FIELDS, districts, districts_in, is_region
from services.offers.domain import search as domain
from services.offers.domain.languages import language_code
from services.offers.models import KnownActor, Offer
from services.offers.usecases.offers import offer_event_data

STATUSES = ("published", "expired", "withdrawn", "draft")
MAX_TEXT = 200
MAX_PROVIDERS_PER_WORD = 200
PROVIDER_PREFIX_FROM = 6
WALK_FROM = 2000  # matches from which a page walks the date index instead of sorting them (ADR 0011)


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


def _providers(session: Session, terms: tuple[str, ...]) -> dict[str, list[str]]:
    """Known actors with each term as a word of their name, or as the start of one for terms of
    6 letters or more ("Caritas" → "Caritasverband"; but "Frauen" → "frau" would name every
    "Frauenzentrum", and each provider costs the full-text lookup one more alternative; ADR 0011)."""
    found = {}
    for term in terms:
        pattern = f"% {term}%" if len(term) >= PROVIDER_PREFIX_FROM else f"% {term} %"
        found[term] = list(session.execute(select(KnownActor.id).where(  # type: ignore[call-overload]
            KnownActor.search_name.like(pattern)).limit(MAX_PROVIDERS_PER_WORD)).scalars())
    return found


class _Search:
    """One search on one database: its full-text queries and the SQL that runs them."""

    COLUMNS = (Offer.id, Offer.version, Offer.status, Offer.body, Offer.partner_id, Offer.external_id,
               Offer.created_at)

    def __init__(self, session: Session, filters: domain.SearchFilters) -> None:
        self.session, self.filters = session, filters
        self.postgres = session.get_bind().dialect.name == "postgresql"
        only_status = filters == domain.SearchFilters(status=filters.status, text=filters.text)
        self.providers = _providers(session, filters.terms)
        self.everything = None if only_status else self.query()

    def query(self, in_title: bool | None = None) -> str:
        return domain.full_text_query(self.filters, self.providers, postgres=self.postgres, in_title=in_title)

    def matching(self, query: str | None, *, by_rowid: bool = True) -> list[ColumnElement[bool]]:
        """SQL conditions for a full-text query (None: the status alone). On SQLite the offers are
        either looked up by the rowids FTS5 finds (`by_rowid`) or taken from the status index in
        date order and checked against those rowids ("+" keeps SQLite from the rowid lookup)."""
        if query is None:
            return [Offer.status == self.filters.status]  # type: ignore[list-item]
        if self.postgres:  # with the status, PostgreSQL may walk the date index; without, count from GIN alone
            found = Offer.search_vector.op("@@")(func.to_tsquery(literal_column("'german'"), query))  # type: ignore[union-attr]
            return [found] if by_rowid else [Offer.status == self.filters.status, found]  # type: ignore[list-item]
        rowids = select(literal_column("rowid")).select_from(text("offers_fts")).where(
            literal_column("offers_fts").op("MATCH")(query))
        if by_rowid:
            return [literal_column("offers.rowid").in_(rowids)]
        return [Offer.status == self.filters.status, literal_column("+offers.rowid").in_(rowids)]  # type: ignore[list-item]

    def count(self, query: str | None) -> int:
        """On SQLite counted in the FTS5 index alone; on PostgreSQL the GIN index answers, and the
        table is read only where its visibility map is not yet all-visible."""
        if query is not None and not self.postgres:
            return self.session.execute(text("SELECT count(*) FROM offers_fts WHERE offers_fts MATCH :query"),
                                        {"query": query}).scalar_one()
        return self.session.execute(select(func.count()).select_from(Offer).where(*self.matching(query))).scalar_one()

    def newest(self, query: str | None, size: int, after: Cursor | None, limit: int, offset: int = 0) -> list:
        """Up to `limit` offers of a query, newest first, after a position. Many matches: walk
        the (status, created_at) index until enough match; few: look them up and sort."""
        walk = query is None or size > WALK_FROM
        statement = select(*self.COLUMNS).where(*self.matching(query, by_rowid=not walk)).order_by(
            Offer.created_at.desc(), Offer.id.desc()).limit(limit)  # type: ignore[attr-defined]
        if after is not None:
            statement = statement.where(tuple_(Offer.created_at, Offer.id) < (after.created_at, after.offer_id))
        elif offset:
            statement = statement.offset(offset)
        return list(self.session.execute(statement).all())


    def ranked(self, after: Cursor | None, limit: int, offset: int = 0) -> list:
        """Few matches: all of them looked up, ordered by relevance (every search word in the title:
        1, else 0), then newest first, in one query."""
        titled = self.query(in_title=True)
        if self.postgres:
            tier = case((Offer.search_vector.op("@@")(func.to_tsquery(literal_column("'german'"), titled)), 1),  # type: ignore[union-attr]
                        else_=0)
        else:
            tier = case((literal_column("offers.rowid").in_(select(literal_column("rowid")).select_from(
                text("offers_fts")).where(literal_column("offers_fts").op("MATCH")(titled))), 1), else_=0)
        statement = select(*self.COLUMNS, tier.label("tier")).where(*self.matching(self.everything)).order_by(
            tier.desc(), Offer.created_at.desc(), Offer.id.desc()).limit(limit)  # type: ignore[attr-defined]
        if after is not None:
            statement = statement.where(tuple_(tier, Offer.created_at, Offer.id) < (
                after.score or 0, after.created_at, after.offer_id))
        elif offset:
            statement = statement.offset(offset)
        return list(self.session.execute(statement).all())


def search_offers(session: Session, filters: domain.SearchFilters, *, limit: int, base_url: str,
                  cursor: Cursor | None = None, offset: int = 0) -> OfferPage:
    """One page of matching offers and how many match in all. With search words, offers with
    every word in the title come first (relevance 1), then the others (0); newest first within."""
    found = _Search(session, filters)
    total = found.count(found.everything)
    if not filters.terms:
        rows = [(row, None) for row in found.newest(found.everything, total, cursor, limit + 1, offset)]
    elif total <= WALK_FROM:
        rows = [(row, row.tier) for row in found.ranked(cursor, limit + 1, offset)]
    else:
        titled = found.query(in_title=True)
        in_title = found.count(titled)
        rows = []
        if cursor is None or cursor.score == 1:
            rows = [(row, 1) for row in found.newest(titled, in_title, cursor, limit + 1, offset)]
        if len(rows) <= limit:
            rest_offset = max(0, offset - in_title) if cursor is None else 0
            rows += [(row, 0) for row in found.newest(found.query(in_title=False), total - in_title,
                                                      cursor if cursor is not None and cursor.score == 0 else None,
                                                      limit + 1 - len(rows), rest_offset)]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last, score = rows[-1]
        next_cursor = Cursor(score, last.created_at, last.id).encode()
    items = [offer_event_data(row.id, row.version, row.status, row.body, row.partner_id, row.external_id, None,
                              base_url) for row, _ in rows]
    return OfferPage(total, items, next_cursor)


def count(session: Session, filters: domain.SearchFilters) -> int:
    found = _Search(session, filters)
    return found.count(found.everything)


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
