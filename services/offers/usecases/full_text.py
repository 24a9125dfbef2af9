"""The SQL of the offer search on either database: one full-text query for every filter, run
by FTS5 (SQLite) or a GIN index over the narrow `offer_search` table (PostgreSQL), and the
three ways to read a page (ADR 0011)."""

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, DateTime, String, case, column, func, literal_column, select, table, text, tuple_
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

from services.offers.domain import search as domain
from services.offers.models import KnownActor, Offer

if TYPE_CHECKING:
    from services.offers.usecases.search import Cursor

MAX_PROVIDERS_PER_WORD = 200
PROVIDER_PREFIX_FROM = 6
WALK_FROM = 2000  # matches from which a page walks the date index instead of sorting them
# PostgreSQL: one narrow row per offer, kept in step by triggers on `offers` (models.POSTGRES_SEARCH_DDL).
OFFER_SEARCH = table("offer_search", column("offer_id", String), column("created_at", DateTime(timezone=True)),
                     column("document", TSVECTOR))


def _pg_matches(query: str) -> ColumnElement[bool]:
    return OFFER_SEARCH.c.document.op("@@")(func.to_tsquery(literal_column("'german'"), query))


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


class FullTextSearch:
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

    def title_query(self) -> str:
        """Every search word in the title: relevance among rows that already match `everything`."""
        return domain.title_query(self.filters, postgres=self.postgres)

    def matching(self, query: str | None, *, by_rowid: bool = True) -> list[ColumnElement[bool]]:
        """SQL conditions on `offers` for a full-text query (None: the status alone). On SQLite the
        offers are either looked up by the rowids FTS5 finds (`by_rowid`) or taken from the status
        index in date order and checked against those rowids ("+" keeps SQLite from the rowid lookup)."""
        if query is None:
            return [Offer.status == self.filters.status]  # type: ignore[list-item]
        if self.postgres:
            found = Offer.id.in_(select(OFFER_SEARCH.c.offer_id).where(_pg_matches(query)))  # type: ignore[attr-defined]
            return [found] if by_rowid else [Offer.status == self.filters.status, found]  # type: ignore[list-item]
        rowids = select(literal_column("rowid")).select_from(text("offers_fts")).where(
            literal_column("offers_fts").op("MATCH")(query))
        if by_rowid:
            return [literal_column("offers.rowid").in_(rowids)]
        return [Offer.status == self.filters.status, literal_column("+offers.rowid").in_(rowids)]  # type: ignore[list-item]

    def count(self, query: str | None) -> int:
        """On SQLite counted in the FTS5 index alone; on PostgreSQL the GIN index finds the rows of
        `offer_search` and their (narrow) heap pages are read for visibility."""
        if query is not None and not self.postgres:
            return self.session.execute(text("SELECT count(*) FROM offers_fts WHERE offers_fts MATCH :query"),
                                        {"query": query}).scalar_one()
        if query is not None:
            return self.session.execute(select(func.count()).select_from(OFFER_SEARCH).where(
                _pg_matches(query))).scalar_one()
        return self.session.execute(select(func.count()).select_from(Offer).where(*self.matching(query))).scalar_one()

    def newest(self, query: str | None, size: int, after: "Cursor | None", limit: int, offset: int = 0) -> list:
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


    def ranked(self, after: "Cursor | None", limit: int, offset: int = 0) -> list:
        """Few matches: all of them looked up, ordered by relevance (every search word in the title:
        1, else 0), then newest first. The page is chosen on (relevance, date, id) alone and only
        its rows are read whole, and relevance asks the index for the title words alone (the rows
        already match the rest): sorting every match with its body, and intersecting the full
        query again, took twice as long (SQLite, 1,987 matches among 100,000: 26 → 13 ms)."""
        tier = case((self.matching(self.title_query())[0], 1), else_=0).label("tier")
        page = select(Offer.id.label("page_id"), Offer.created_at.label("page_created_at"), tier).where(  # type: ignore[attr-defined]
            *self.matching(self.everything)).order_by(
            tier.desc(), Offer.created_at.desc(), Offer.id.desc()).limit(limit)  # type: ignore[attr-defined]
        if after is not None:
            page = page.where(tuple_(tier, Offer.created_at, Offer.id) < (
                after.score or 0, after.created_at, after.offer_id))
        elif offset:
            page = page.offset(offset)
        chosen = page.subquery("page")
        statement = select(*self.COLUMNS, chosen.c.tier).join(chosen, Offer.id == chosen.c.page_id).order_by(
            chosen.c.tier.desc(), chosen.c.page_created_at.desc(), chosen.c.page_id.desc())
        return list(self.session.execute(statement).all())


    def one_pass(self, after: "Cursor | None", limit: int, offset: int = 0) -> tuple[list, int | None]:
        """PostgreSQL: count and page in one pass over the matches of `offer_search`. The count
        must visit every matching row's heap page anyway (for visibility), so their date and
        relevance come along; only the page's rows are then read from `offers`. Returns (rows,
        total or None)."""
        assert self.everything is not None
        # The hits already match the whole query: relevance tests the title words alone (a
        # quarter of the scan's time for "Sprachkurs" at 100,000 offers, ADR 11).
        tier = case((_pg_matches(self.title_query()), 1), else_=0) if self.filters.terms else literal_column("0")
        hits = select(OFFER_SEARCH.c.offer_id.label("id"), OFFER_SEARCH.c.created_at.label("created_at"),
                      tier.label("tier")).where(_pg_matches(self.everything)).cte("hits").prefix_with("MATERIALIZED")
        page = select(hits).order_by(hits.c.tier.desc(), hits.c.created_at.desc(), hits.c.id.desc()).limit(limit)
        if after is not None:
            page = page.where(tuple_(hits.c.tier, hits.c.created_at, hits.c.id) < (
                after.score or 0, after.created_at, after.offer_id))
        elif offset:
            page = page.offset(offset)
        paged = page.subquery("page")
        total = select(func.count()).select_from(hits).scalar_subquery()
        statement = select(*self.COLUMNS, paged.c.tier, total.label("total")).join_from(
            paged, Offer, Offer.id == paged.c.id).order_by(  # type: ignore[arg-type]
            paged.c.tier.desc(), paged.c.created_at.desc(), paged.c.id.desc())
        rows = list(self.session.execute(statement).all())
        return rows, rows[0].total if rows else None
