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
        if token not in STOP_WORDS:
            found.append(token)
    return tuple(found)


def tokens(text: str) -> list[str]:
    """The search tokens of a text, each once, in order of first appearance. Words are looked up
    as written in a cache, since offers repeat their vocabulary (~10 µs for a typical offer)."""
    seen: dict[str, None] = {}
    cache = _tokens
    for word in dict.fromkeys(text.split()):
        found = cache.get(word)
        if found is None:
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


def city_key(city: str | None) -> str | None:
    """The city as the city filter compares it: folded, without additions in brackets, umlauts
    as two letters — "Oldenburg (Oldb)", "oldenburg" → "oldenburg"; "Göttingen" → "goettingen"."""
    if not city:
        return None
    base = city.split("(", 1)[0].casefold().replace("ß", "ss").translate(_ASCII_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", base)
    words = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SEPARATORS).split()
    return " ".join(words)[:100] or None


def search_columns(body: Mapping[str, Any]) -> dict[str, Any]:
    """The derived search columns of an offer body (see `models.Offer`). Cheap: it runs for every
    offer of a partner's bulk import (measured in bench/search.py)."""
    district = districts().get(body.get("district") or "")
    place = f"{body.get('city') or ''} {body.get('postcode') or ''} {district.name if district else ''}"
    title = tokens(body["title"])
    rest = tokens(f"{body.get('summary') or ''} {body.get('description') or ''} {place}")
    return {
        "search_title": padded(title),
        "search_text": " ".join(dict.fromkeys(title + rest)),
        "search_fields": padded(body.get("fields") or ()),
        "search_languages": padded(body.get("languages") or ()),
        "search_target_groups": padded(body.get("target_groups") or ()),
        "city_key": city_key(body.get("city")),
        "postcode": body.get("postcode"),
        "provider_actor_id": body.get("provider_actor_id"),
        "women_only": bool(body.get("women_only")),
        "childcare": bool(body.get("childcare")),
        "free": is_free(body.get("costs")),
    }


def postcode_range(prefix: str) -> tuple[str, str | None]:
    """Postcodes starting with `prefix` (1–5 digits) as a range [low, high) an index can use:
    "261" → ("261", "262"); "99" → ("99", None)."""
    stripped = prefix.rstrip("9")
    if not stripped:
        return prefix, None
    return prefix, stripped[:-1] + str(int(stripped[-1]) + 1)


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
