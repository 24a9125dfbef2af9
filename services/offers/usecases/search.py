"""The offer search: what may be searched for (checked, names resolved), keyset pages with a
total, and — when nothing is found — how to widen the search. The SQL is in full_text.py:
every filter is one full-text lookup (FTS5 on SQLite, GIN on `to_tsvector('german', …)` on
PostgreSQL). ADR 0011.

Order: with search words, by relevance (offers with every word in the title first), then
newest first; without, newest first. A cursor names the last offer of a page in that order, so
the next page neither repeats nor skips offers when offers are added in between.

The routes and pages call the readers taking a `uow` (`find_offers`, `find_offers_or_wider`);
the session-taking functions they are built from serve benchmarks and tests as well."""

import base64
import binascii
import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from npa.contracts.offer_body import TARGET_GROUPS
from npa.contracts.reference import FIELDS, districts, districts_in, is_region
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers.domain import search as domain
from services.offers.domain.languages import language_code
from services.offers.usecases import full_text
from services.offers.usecases.full_text import FullTextSearch
from services.offers.usecases.offers import offer_event_data

STATUSES = ("published", "expired", "withdrawn", "draft")
MAX_TEXT = 200


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
    provider: str | None = None,
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
    provider = _blank(provider)
    if provider is not None and (len(provider) > 100 or not domain.provider_token(provider)[3:]):
        raise InvalidFilter("provider", f"provider {provider!r}: an actor id")
    return domain.SearchFilters(
        status=status, text=q or "", terms=domain.query_terms(q), field=field, region=region,
        districts=frozenset(districts_in(region)) if region else None, language=code, target_group=target_group,
        women_only=women_only, free=free, childcare=childcare, city=city, city_key=domain.city_key(city),
        postcode=postcode, provider=provider,
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


def find_offers(uow: UnitOfWork, filters: domain.SearchFilters, *, limit: int, base_url: str,
                cursor: Cursor | None = None, offset: int = 0) -> OfferPage:
    with uow.reading() as session:
        return search_offers(session, filters, limit=limit, base_url=base_url, cursor=cursor, offset=offset)


def search_offers(session: Session, filters: domain.SearchFilters, *, limit: int, base_url: str,
                  cursor: Cursor | None = None, offset: int = 0) -> OfferPage:
    """One page of matching offers and how many match in all. With search words, offers with
    every word in the title come first (relevance 1), then the others (0); newest first within."""
    found = FullTextSearch(session, filters)
    if found.postgres and found.everything is not None:
        paged, counted = found.one_pass(cursor, limit + 1, offset)
        rows = [(row, row.tier if filters.terms else None) for row in paged]
        total = counted if counted is not None else found.count(found.everything)
        return _page(rows, total, limit, base_url)
    total = found.count(found.everything)
    if not filters.terms:
        rows = [(row, None) for row in found.newest(found.everything, total, cursor, limit + 1, offset)]
    elif total <= full_text.WALK_FROM:
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
    return _page(rows, total, limit, base_url)


def _page(rows: list, total: int, limit: int, base_url: str) -> OfferPage:
    """`rows` are (row, relevance) pairs, one more than a page when there is a next page."""
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last, score = rows[-1]
        next_cursor = Cursor(score, last.created_at, last.id).encode()
    items = [offer_event_data(row.id, row.version, row.status, row.body, row.partner_id, row.external_id, None,
                              base_url) for row, _ in rows]
    return OfferPage(total, items, next_cursor)


def count(session: Session, filters: domain.SearchFilters) -> int:
    found = FullTextSearch(session, filters)
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


@dataclass(frozen=True)
class Findings:
    """A page of a search and, only when it found nothing, the wider searches that find something."""

    page: OfferPage
    wider: list[Widening]


def find_offers_or_wider(uow: UnitOfWork, filters: domain.SearchFilters, *, limit: int, base_url: str,
                         cursor: Cursor | None = None) -> Findings:
    with uow.reading() as session:
        page = search_offers(session, filters, limit=limit, cursor=cursor, base_url=base_url)
        return Findings(page, widenings(session, filters) if page.total == 0 else [])
