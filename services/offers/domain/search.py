"""Text rules of the offer search: one normalisation for documents and queries, on SQLite and
PostgreSQL alike; the derived search columns of an offer. No framework imports.

A word becomes a search token by: case folding (ß → ss), dropping German stop words, the German
Snowball stemmer applied twice (it maps ä/ae, ö/oe, ü/ue alike and "Sprachkurse" → "sprachkurs"
→ "sprachkur", the stem of "Sprachkurs"), other accents removed ("Café" → "cafe"). The database
only ever sees these tokens: SQLite's FTS5 indexes them as they are, PostgreSQL's
`to_tsvector('german', …)` stems them once more, the same way for documents and queries.
"""

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import Stemmer

from npa.contracts.offer_body import is_free
from npa.contracts.reference import districts
from services.offers.domain.stop_words import GERMAN_STOP_WORDS

_STEMMER = Stemmer.Stemmer("german")
_ASCII_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
STOP_WORDS = GERMAN_STOP_WORDS | {word.translate(_ASCII_UMLAUTS) for word in GERMAN_STOP_WORDS}
# Every character that is neither a letter nor a digit separates words.
_SEPARATORS = {code: " " for code in range(0x2FFF) if not chr(code).isalnum()}
_CACHE_LIMIT = 200_000
_tokens: dict[str, tuple[str, ...]] = {}  # word as written → its tokens (none for a stop word)


def _word_tokens(word: str) -> tuple[str, ...]:
    """Tokens of one whitespace-separated word as written ("Arzttermine," → ("arztermin",))."""
    found = []
    for part in word.casefold().translate(_SEPARATORS).split():
        if part in STOP_WORDS:
            continue
        token = _STEMMER.stemWord(_STEMMER.stemWord(part))
        if not token.isascii():
            token = "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))
        if token not in STOP_WORDS and not token.startswith("zz"):  # "zz…" is kept for facets
            found.append(token)
    return tuple(found)


def tokens(text: str) -> list[str]:
    """The search tokens of a text, each once, in order of first appearance. Words are looked up
    as written in a cache, since offers repeat their vocabulary (~10 µs for a typical offer)."""
    seen: dict[str, None] = {}
    cache = _tokens
    for word in dict.fromkeys(text.split()):
        found = cache.get(word)
        if found is None and word.isdigit() and word.isascii():
            found = (word,)  # a number is its own token; not cached: numbers are mostly unique (ids, dates)
        elif found is None:
            found = _word_tokens(word)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[word] = found
        for token in found:
            seen[token] = None
    return list(seen)


def query_terms(text: str | None, limit: int = 8) -> tuple[str, ...]:
    """The tokens a search text asks for (each must match); at most `limit` of them."""
    return tuple(tokens(text or "")[:limit])


def padded(words: Iterable[str]) -> str:
    """" a b c ": every word between spaces, so `LIKE '% a %'` / `'% a%'` finds a whole word / prefix."""
    joined = " ".join(words)
    return f" {joined} " if joined else ""


def search_name(name: str) -> str:
    """A known actor's name as search tokens, so "VHS Oldenburg" finds that provider's offers."""
    return padded(tokens(name))


@lru_cache(maxsize=8192)  # a state has a few thousand place names; offers repeat them
def city_key(city: str | None) -> str | None:
    """The city as the city filter compares it: folded, without additions in brackets, umlauts
    as two letters — "Oldenburg (Oldb)", "oldenburg" → "oldenburg"; "Göttingen" → "goettingen"."""
    if not city:
        return None
    base = city.split("(", 1)[0].casefold().replace("ß", "ss").translate(_ASCII_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", base)
    words = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SEPARATORS).split()
    return "".join(words)[:100] or None


# Facets are indexed as tokens beside the words, so one full-text lookup answers every filter:
# "zz" + a letter naming the facet + the value. No search word becomes such a token (query words
# starting with "zz" are dropped).
def facet(kind: str, value: str) -> str:
    return f"zz{kind}{value}"


STATUS, FIELD, LANGUAGE, TARGET_GROUP, DISTRICT, CITY, POSTCODE, PROVIDER = "s", "f", "l", "t", "d", "o", "p", "v"
TITLE = "h"  # a word of the title, again: relevance puts offers with every search word in the title first
WOMEN_ONLY, CHILDCARE, FREE = "w", "c", "k"  # + "1" / "0"
STATE_WIDE = "none"


def provider_token(actor_id: str) -> str:
    return facet(PROVIDER, "".join(c for c in actor_id.casefold() if c.isascii() and c.isalnum()))


def facets(body: Mapping[str, Any]) -> list[str]:
    """The facet tokens of an offer body (its status is added by the database, see models)."""
    found = [facet(FIELD, slug) for slug in body.get("fields") or ()]
    found += [facet(LANGUAGE, code) for code in body.get("languages") or ()]
    found += [facet(TARGET_GROUP, group) for group in body.get("target_groups") or ()]
    found.append(facet(DISTRICT, body.get("district") or STATE_WIDE))
    found += [facet(WOMEN_ONLY, "1" if body.get("women_only") else "0"),
              facet(CHILDCARE, "1" if body.get("childcare") else "0"),
              facet(FREE, "1" if is_free(body.get("costs")) else "0")]
    city = city_key(body.get("city"))
    if city:
        found.append(facet(CITY, city))
    if body.get("postcode"):
        found.append(facet(POSTCODE, body["postcode"]))
    if body.get("provider_actor_id"):
        found.append(provider_token(body["provider_actor_id"]))
    return found


def search_columns(body: Mapping[str, Any]) -> dict[str, Any]:
    """The derived search columns of an offer body (see `models.Offer`). Cheap: it runs for every
    offer of a partner's bulk import (measured in bench/search.py)."""
    district = districts().get(body.get("district") or "")
    place = f"{body.get('city') or ''} {body.get('postcode') or ''} {district.name if district else ''}"
    words = tokens(f"{body['title']} {body.get('summary') or ''} {body.get('description') or ''} {place}")
    title = " ".join(facet(TITLE, token) for token in tokens(body["title"]))
    return {"search_text": f"{' '.join(words)} {title} {' '.join(facets(body))}"}


def _word(token: str, postgres: bool, prefix: bool = False) -> str:
    """One token of a full-text query; tokens are letters and digits only."""
    if postgres:
        return f"{token}:*" if prefix else token
    return f'"{token}"*' if prefix else f'"{token}"'


def _any(alternatives: list[str], postgres: bool) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(" + (" | " if postgres else " OR ").join(alternatives) + ")"


def full_text_query(filters: "SearchFilters", providers: Mapping[str, Iterable[str]], *, postgres: bool,
                    in_title: bool | None = None) -> str:
    """Every filter as one full-text query over words and facet tokens: tsquery syntax on
    PostgreSQL, FTS5 syntax on SQLite. A search word matches an offer's text (as a prefix:
    "Sprach" finds "Sprachkurs") or the name of its provider (`providers`: word → actor ids).
    `in_title` True/False narrows to offers with / without every search word in the title."""
    parts = [_word(facet(STATUS, filters.status), postgres)]
    for term in filters.terms:
        parts.append(_any([_word(term, postgres, prefix=True)]
                          + [_word(provider_token(actor_id), postgres) for actor_id in providers.get(term, ())],
                          postgres))
    exact = [(FIELD, filters.field), (LANGUAGE, filters.language), (TARGET_GROUP, filters.target_group),
             (CITY, filters.city_key)]
    exact += [(kind, None if flag is None else "1" if flag else "0") for kind, flag in (
        (WOMEN_ONLY, filters.women_only), (CHILDCARE, filters.childcare), (FREE, filters.free))]
    parts += [_word(facet(kind, value), postgres) for kind, value in exact if value is not None]
    if filters.districts is not None:  # a state-wide offer serves every region
        parts.append(_any([_word(facet(DISTRICT, key), postgres) for key in [*sorted(filters.districts), STATE_WIDE]],
                          postgres))
    if filters.provider is not None:
        parts.append(_word(provider_token(filters.provider), postgres))
    if filters.postcode is not None:
        parts.append(_word(facet(POSTCODE, filters.postcode), postgres, prefix=len(filters.postcode) < 5))
    query = (" & " if postgres else " AND ").join(parts)
    if in_title is None or not filters.terms:
        return query
    title = title_query(filters, postgres=postgres)
    if in_title:
        return f"{query} {'&' if postgres else 'AND'} {title}"
    return f"({query}) & !({title})" if postgres else f"({query}) NOT ({title})"


def title_query(filters: "SearchFilters", *, postgres: bool) -> str:
    """Every search word in the title (as a prefix): among offers that already match, the same
    as `full_text_query(…, in_title=True)` with far shorter lists to intersect."""
    return (" & " if postgres else " AND ").join(_word(facet(TITLE, term), postgres, prefix=True)
                                                 for term in filters.terms)


@dataclass(frozen=True)
class SearchFilters:
    """What a search is narrowed to (already checked); None means "any"."""

    status: str = "published"
    text: str = ""  # as typed, for display
    terms: tuple[str, ...] = ()
    field: str | None = None
    region: str | None = None  # district key or ARL region name, as given
    districts: frozenset[str] | None = None
    language: str | None = None  # ISO 639-1 code
    target_group: str | None = None
    women_only: bool | None = None
    free: bool | None = None
    childcare: bool | None = None
    city: str | None = None  # as given, for display
    city_key: str | None = None
    postcode: str | None = None  # 1–5 leading digits
    provider: str | None = None  # an actor id: that provider's offers only
