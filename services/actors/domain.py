"""The actor registry's rules; no framework imports.

`usecases/directory.py` turns the filter and "works alongside" rules into SQL; the tests hold
the SQL to the plain functions here.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = (
    "kommune",
    "land",
    "freier_traeger",
    "kirche",
    "wirtschaft",
    "gewerkschaft",
    "migrantenorganisation",
    "initiative",
    "bildungstraeger",
    "sonstige",
)

KIND_NAMES = {
    "kommune": "Kommune",
    "land": "Land",
    "freier_traeger": "Freier Träger",
    "kirche": "Kirche",
    "wirtschaft": "Wirtschaft",
    "gewerkschaft": "Gewerkschaft",
    "migrantenorganisation": "Migrantenorganisation",
    "initiative": "Initiative",
    "bildungstraeger": "Bildungsträger",
    "sonstige": "Sonstige",
}

STATE_FIELDS = (
    "name",
    "kind",
    "districts",
    "fields",
    "description",
    "email",
    "phone",
    "website",
    "address",
    "postcode",
    "is_multiplier",
)


def changed_fields(current: Mapping[str, Any], proposed: Mapping[str, Any]) -> list[str]:
    """Names of the fields whose proposed value differs from the current one."""
    return sorted(name for name, value in proposed.items() if current.get(name) != value)


def serves(actor_districts: list[str], wanted: set[str]) -> bool:
    """An actor with no districts works state-wide and so serves every district."""
    return not actor_districts or bool(wanted.intersection(actor_districts))


def fold(text: str) -> str:
    """Case- and accent-insensitive form for sorting and searching: "Ärztekammer Göttingen"
    → "arztekammer gottingen". Done in Python because SQLite's lower() knows only ASCII."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def sort_name(name: str) -> str:
    return fold(name)


def search_text(name: str, description: str) -> str:
    return fold(f"{name} {description}")


@dataclass(frozen=True)
class ActorFilters:
    """What the directory is narrowed to; None means "any"."""

    field: str | None = None
    districts: frozenset[str] | None = None  # a region resolved to its district keys
    kind: str | None = None
    multiplier: bool | None = None
    text: str | None = None  # already folded
    include_inactive: bool = False


def matches(actor: Mapping[str, Any], filters: ActorFilters) -> bool:
    """Whether an actor's state passes the filters (the rule the SQL query implements)."""
    return (
        (filters.include_inactive or actor["active"])
        and (filters.field is None or filters.field in actor["fields"])
        and (filters.districts is None or serves(actor["districts"], set(filters.districts)))
        and (filters.kind is None or actor["kind"] == filters.kind)
        and (filters.multiplier is None or actor["is_multiplier"] == filters.multiplier)
        and (not filters.text or filters.text in search_text(actor["name"], actor["description"]))
    )


def works_alongside(actor: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """"Wer arbeitet hier noch daran?": another active actor sharing a field and a district;
    a state-wide actor shares every district."""
    shares_district = not actor["districts"] or serves(other["districts"], set(actor["districts"]))
    return (
        other["id"] != actor["id"]
        and other["active"]
        and bool(set(actor["fields"]) & set(other["fields"]))
        and shares_district
    )
