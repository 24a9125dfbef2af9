"""docs/routes-and-events.md names, for every event type, the files that produce it and the files
that consume it; this test keeps that table true to the code (consumers from each service's
handler table, producers from the calls that stage events onto the type's topic)."""

import importlib
import re
from pathlib import Path

from npa.contracts import catalogue, topics
from npa.infrastructure.consumer import source_file

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "routes-and-events.md"
ROW = re.compile(r"^\| `(de\.npa\.[\w.]+)` \| (.*) \| (.*) \|$")
STAGING = re.compile(r"stage(?:_many)?\(\s*\w+,\s*topics\.(\w+)")
EXTERNAL = {topics.PARTNER_OFFERS: "npa/partner_client/client.py"}  # partner systems produce this topic


def documented() -> dict[str, tuple[set[str], set[str]]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if match := ROW.match(line):
            files = [set(re.findall(r"`([\w/]+\.py)`", cell)) for cell in match.groups()[1:]]
            rows[match.group(1)] = (files[0], files[1])
    return rows


def consumers() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for service in ("actors", "offers", "notifications", "reports"):
        table = getattr(importlib.import_module(f"services.{service}.handlers"), "HANDLERS", {}) \
            if (ROOT / "services" / service / "handlers.py").exists() else {}
        for event_type, handler in table.items():
            found.setdefault(event_type, set()).add(str(Path(source_file(handler)).relative_to(ROOT)))
    return found


def producers_by_topic() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {topic: {path} for topic, path in EXTERNAL.items()}
    for path in sorted((ROOT / "services").rglob("*.py")) + sorted((ROOT / "npa").rglob("*.py")):
        for constant in STAGING.findall(path.read_text(encoding="utf-8")):
            found.setdefault(getattr(topics, constant), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_event_type_names_its_producers_and_consumers() -> None:
    rows, consumed, produced = documented(), consumers(), producers_by_topic()
    types = {event_type: topic for topic, (_model, types) in catalogue.EVENTS.items() for event_type in types}
    assert set(rows) == set(types), f"rows missing or unknown: {set(types) ^ set(rows)}"
    for event_type, (producers, consumer_files) in rows.items():
        expected = ", ".join(f"`{path}`" for path in sorted(consumed.get(event_type, set())))
        assert consumer_files == consumed.get(event_type, set()), f"{event_type}: consumed in {expected}"
        assert producers and producers <= produced.get(types[event_type], set()), \
            f"{event_type}: produced in one of {sorted(produced.get(types[event_type], set()))}"
    for topic, files in produced.items():  # every file that stages events is named for its topic
        named = set().union(*(rows[t][0] for t, on in types.items() if on == topic))
        assert files == named, f"{topic}: staged in {sorted(files)}, named {sorted(named)}"
