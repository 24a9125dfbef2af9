"""What the reports must say about a generated data set, computed here in plain Python
over the generated states, without services.reports. Used by test_reports_aggregation.

The only test in this module checks a few of these numbers by hand on a tiny data set.
"""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from npa.contracts.events import notifications as notification_events
from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from tests.integration.test_reports_dataset import SLUGS, DataSet

BERLIN = ZoneInfo("Europe/Berlin")
KNOWN = districts()


def active(state: dict) -> bool:
    return state["status"] == "published"


def in_state(district: str | None) -> bool:
    return district is None or district in KNOWN


def cell(data: DataSet, slug: str, covers) -> dict:  # noqa: ANN001
    """Figures for one area × field; `covers(district or None)` says whether the area holds it."""
    new_since = data.now - timedelta(days=30)
    offers = [(key, o) for key, o in data.final("offers").items()
              if active(o) and slug in o["fields"] and covers(o["district"])]
    actors = [a for a in data.final("actors").values() if a["active"] and slug in a["fields"]
              and (any(covers(d) for d in a["districts"]) if a["districts"] else covers(None))]
    examples = [e for e in data.final("examples").values() if active(e) and slug in e["fields"] and covers(e["district"])]
    return {
        "active_offers": len(offers),
        "new_offers": sum(data.offers[key][0]["time"] >= new_since for key, _o in offers),
        "women_only_offers": sum(o["women_only"] for _k, o in offers),
        "childcare_offers": sum(o["childcare"] for _k, o in offers),
        "free_offers": sum(o["costs"] == "kostenlos" for _k, o in offers),
        "languages": sorted({code for _k, o in offers for code in o["languages"]}),
        "actors": len(actors),
        "multipliers": sum(a["is_multiplier"] for a in actors),
        "examples": len(examples),
    }


def district_rows(data: DataSet) -> list[dict]:
    return [{"district": key, "district_name": d.name, "arl_region": d.arl_region, "field": slug,
             **cell(data, slug, lambda district, key=key: district == key)}
            for key, d in KNOWN.items() for slug in SLUGS]


def region_rows(data: DataSet) -> list[dict]:
    by_district = {(row["district"], row["field"]): row["active_offers"] for row in district_rows(data)}
    rows = []
    for region in ARL_REGIONS:
        members = [key for key, d in KNOWN.items() if d.arl_region == region]
        for slug in SLUGS:
            rows.append({"arl_region": region, "field": slug, "districts": len(members),
                         "districts_without_offers": sum(by_district[(key, slug)] == 0 for key in members),
                         **cell(data, slug, lambda district, members=members: district in members)})
    return rows


def state_rows(data: DataSet) -> list[dict]:
    return [{"area": "Niedersachsen", "field": slug,
             "statewide_offers": cell(data, slug, lambda district: district is None)["active_offers"],
             **cell(data, slug, in_state)} for slug in SLUGS]


def gaps(data: DataSet) -> list[tuple[str, str]]:
    empty = [(row["arl_region"], row["district"], row["field"]) for row in district_rows(data) if row["active_offers"] == 0]
    empty.sort(key=lambda gap: (ARL_REGIONS.index(gap[0]), gap[1], SLUGS.index(gap[2])))
    return [(district, slug) for _region, district, slug in empty]


def weakest(data: DataSet) -> list[tuple]:
    rows = district_rows(data)
    found = []
    for slug in SLUGS:
        counts = {row["district"]: row["active_offers"] for row in rows if row["field"] == slug}
        median = statistics.median(counts.values())
        found += [(key, slug, count, median, round(count / median, 2) if median else None)
                  for count, key in sorted((c, k) for k, c in counts.items() if c < median)]
    return found


def months(now: datetime, count: int = 12) -> list[tuple[str, datetime, datetime]]:
    local = now.astimezone(BERLIN)
    firsts = []
    year, month = local.year, local.month
    for _ in range(count + 1):
        firsts.append(datetime(year, month, 1, tzinfo=BERLIN))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()  # oldest first, the last one is the running month's start
    ends = firsts[2:] + [datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=BERLIN)]
    return [(f"{start:%Y-%m}", start, end) for start, end in zip(firsts[1:], ends, strict=True)]


def trend_rows(data: DataSet) -> list[dict]:
    def counted(state: dict | None, slug: str) -> bool:
        return bool(state) and active(state) and in_state(state["district"]) and (slug == "alle" or slug in state["fields"])

    def at(history: list[dict], end: datetime) -> dict | None:
        before = [state for state in history if state["time"] < end]
        return before[-1] if before else None

    rows = []
    for slug in [*SLUGS, "alle"]:
        for label, start, end in months(data.now):
            rows.append({
                "month": label, "field": slug,
                "active_offers": sum(counted(at(h, end), slug) for h in data.offers.values()),
                "new_offers": sum(start <= h[0]["time"] < end and counted(h[0], slug) for h in data.offers.values()),
                "ended_offers": sum(start <= after["time"] < end and counted(before, slug) and not counted(after, slug)
                                    for h in data.offers.values() for before, after in zip(h, h[1:], strict=False)),
                "active_examples": sum(counted(at(h, end), slug) for h in data.examples.values()),
            })
    return rows


def recognised_actors(data: DataSet) -> list[dict]:
    actors = data.final("actors")
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for offer in data.final("offers").values():
        if offer["provider_actor_id"]:
            totals[offer["provider_actor_id"]][0] += 1
            totals[offer["provider_actor_id"]][1] += active(offer)
    for example in data.final("examples").values():
        totals[example["actor_id"]][2] += 1
    rows = [{"actor_id": key, "name": actors[key]["name"], "offers_published": o, "offers_active": a,
             "examples_published": e} for key, (o, a, e) in totals.items() if actors[key]["active"]]
    return sorted(rows, key=lambda r: (-(r["offers_published"] + r["examples_published"]), -r["offers_active"],
                                       r["name"], r["actor_id"]))


def thank_you(data: DataSet) -> dict:
    year_start = datetime(data.now.astimezone(BERLIN).year, 1, 1, tzinfo=BERLIN)
    actors = [a for a in data.final("actors").values() if a["active"]]
    offers = [o for o in data.final("offers").values() if active(o) and in_state(o["district"])]
    return {
        "year": year_start.year, "actors_active": len(actors),
        "initiatives_active": sum(a["kind"] == "initiative" for a in actors),
        "multipliers_active": sum(a["is_multiplier"] for a in actors), "offers_active": len(offers),
        "offers_published_this_year": sum(h[0]["time"] >= year_start for h in data.offers.values()),
        "examples_published_this_year": sum(h[0]["time"] >= year_start for h in data.examples.values()),
        "districts_reached": len({o["district"] for o in offers} - {None}),
    }


def example_ids(data: DataSet) -> list[str]:
    published = [(h[0]["time"], key) for key, h in data.examples.items() if active(h[-1])]
    return [key for _time, key in sorted(published, key=lambda item: (-item[0].timestamp(), item[1]))]


def notifications(data: DataSet) -> list[dict]:
    subscribed = [s for s in data.final("subscriptions").values() if s["type"] != notification_events.SUBSCRIPTION_CANCELLED]
    return [{"field": slug,
             "sent": sum(slug in d["fields"] for d in data.deliveries if d["type"] == notification_events.SENT),
             "failed": sum(slug in d["fields"] for d in data.deliveries if d["type"] == notification_events.FAILED),
             "active_subscriptions": sum(not s["fields"] or slug in s["fields"] for s in subscribed)}
            for slug in FIELDS]


def test_months_are_the_last_twelve_calendar_months_in_berlin() -> None:
    spans = months(datetime(2026, 1, 15, 12, tzinfo=BERLIN))
    assert [label for label, _s, _e in spans][:2] == ["2025-02", "2025-03"] and spans[-1][0] == "2026-01"
    assert spans[-1][2] == datetime(2026, 2, 1, tzinfo=BERLIN)
    assert all(end == following for (_l, _s, end), (_m, following, _f) in zip(spans, spans[1:], strict=False))
