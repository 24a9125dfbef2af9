"""What became of the messages a partner sent: asked of the offers service over HTTP (the
partner's API key), `GET /api/v1/partners/{partner_id}/messages?id=…` until each is applied or
refused, or the wait is over; and the partner's refused messages (`npa-partner status`)."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

CHUNK = 200  # ids per request (URL length)


class StatusUnavailable(Exception):
    """The offers service could not be asked (unreachable, wrong key)."""


@dataclass(frozen=True)
class Outcome:
    event_id: str
    state: str  # applied | refused | unknown
    reason: str | None = None


def _get(url: str, api_key: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (the partner's own service URL)
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise StatusUnavailable(f"{error.code} from {url.split('?')[0]}: {error.read()[:300]!r}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise StatusUnavailable(f"{url.split('?')[0]}: {error}") from error


def states(api_url: str, partner_id: str, api_key: str, event_ids: Sequence[str]) -> dict[str, Outcome]:
    found: dict[str, Outcome] = {}
    base = f"{api_url.rstrip('/')}/api/v1/partners/{urllib.parse.quote(partner_id, safe='')}/messages"
    for start in range(0, len(event_ids), CHUNK):
        query = urllib.parse.urlencode([("id", event_id) for event_id in event_ids[start:start + CHUNK]])
        for item in _get(f"{base}?{query}", api_key)["items"]:
            found[item["id"]] = Outcome(item["id"], item["state"], item.get("reason"))
    return found


def wait_for_outcomes(api_url: str, partner_id: str, api_key: str, event_ids: Sequence[str], timeout: float,
                      interval: float = 0.5) -> dict[str, Outcome]:
    """Poll until no message is `unknown` any more or `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    outcomes: dict[str, Outcome] = {}
    open_ids = list(event_ids)
    while True:
        if open_ids:
            outcomes.update(states(api_url, partner_id, api_key, open_ids))
        open_ids = [event_id for event_id in event_ids if outcomes.get(event_id, Outcome(event_id, "unknown")).state
                    == "unknown"]
        if not open_ids or time.monotonic() >= deadline:
            return {event_id: outcomes.get(event_id, Outcome(event_id, "unknown")) for event_id in event_ids}
        time.sleep(interval)


def refusals(api_url: str, partner_id: str, api_key: str, limit: int = 20) -> list[dict]:
    base = f"{api_url.rstrip('/')}/api/v1/partners/{urllib.parse.quote(partner_id, safe='')}/refusals"
    return _get(f"{base}?limit={limit}", api_key)["items"]


def offer_count(api_url: str, partner_id: str, api_key: str) -> dict[str, int]:
    """Offers of the partner by status (all pages)."""
    base = f"{api_url.rstrip('/')}/api/v1/partners/{urllib.parse.quote(partner_id, safe='')}/offers"
    counts: dict[str, int] = {}
    after: str | None = None
    while True:
        page = _get(f"{base}?limit=1000" + (f"&after={urllib.parse.quote(after)}" if after else ""), api_key)
        for item in page["items"]:
            counts[item["status"]] = counts.get(item["status"], 0) + 1
        after = page["next_after"]
        if after is None:
            return counts
