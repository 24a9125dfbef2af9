"""The actor registry's rules; no framework imports."""

from collections.abc import Mapping
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
