"""Demo data for `make run`, entered through the public APIs like a real editor and partner would."""

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from localrun.mail_sink import read_mail

ACTORS = [
    {"name": "Volkshochschule Hannover", "kind": "bildungstraeger", "districts": ["03241"], "fields": ["sprache", "arbeit"],
     "is_multiplier": True, "description": "Integrations- und Berufssprachkurse in der Region Hannover."},
    {"name": "Caritasverband Osnabrück", "kind": "freier_traeger", "districts": ["03404", "03459"],
     "fields": ["wohnen", "teilhabe"], "description": "Beratung zu Wohnen, Alltag und Teilhabe."},
    {"name": "Jobcenter Braunschweig", "kind": "kommune", "districts": ["03101"], "fields": ["arbeit"]},
    {"name": "Freiwilligenagentur Lüneburg", "kind": "initiative", "districts": ["03355"], "fields": ["engagement"],
     "is_multiplier": True},
]

OFFERS = [
    ("vhs-a1-frauen", 0, {"title": "Deutschkurs A1 für Frauen mit Kinderbetreuung", "fields": ["sprache"],
                          "district": "03241", "city": "Hannover", "postcode": "30159", "languages": ["de", "ar", "fa"],
                          "target_groups": ["frauen"], "women_only": True, "childcare": True,
                          "summary": "Vormittagskurs, 4 x pro Woche", "starts_on": "2027-01-11", "ends_on": "2027-06-30"}),
    ("vhs-b1-beruf", 0, {"title": "Berufssprachkurs B1", "fields": ["sprache", "arbeit"], "district": "03241",
                         "city": "Hannover", "languages": ["de"], "target_groups": ["erwachsene"]}),
    ("caritas-wohnen", 1, {"title": "Wohnungssuche: Sprechstunde", "fields": ["wohnen"], "district": "03404",
                           "city": "Osnabrück", "languages": ["de", "uk", "ru"], "target_groups": ["familien"]}),
    ("caritas-teilhabe", 1, {"title": "Kommunalpolitik verstehen", "fields": ["teilhabe"], "district": "03459",
                             "languages": ["de", "en"], "format": "online"}),
    ("jc-bewerbung", 2, {"title": "Bewerbungstraining für Geflüchtete", "fields": ["arbeit"], "district": "03101",
                         "city": "Braunschweig", "languages": ["de", "ar"], "costs": "kostenlos"}),
    ("fa-ehrenamt", 3, {"title": "Ehrenamtliche Sprachpat:innen gesucht", "fields": ["engagement", "sprache"],
                        "district": "03355", "city": "Lüneburg", "languages": ["de"]}),
    ("landesweit-hotline", 0, {"title": "Telefonische Beratung zur Anerkennung von Abschlüssen", "fields": ["arbeit"],
                               "district": None, "format": "telefon", "languages": ["de", "en", "ar", "uk"]}),
]

SUBSCRIBER = {"email": "demo.abonnentin@example.org", "fields": ["sprache", "arbeit"], "regions": [],
              "frequency": "immediate", "language": "de"}


def call(method: str, url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def retry(action, timeout: float = 30.0):  # noqa: ANN001, ANN201
    """Events travel asynchronously: retry an action until the other service has caught up."""
    deadline = time.monotonic() + timeout
    while True:
        result = action()
        if result is not None or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def confirmation_link(mail_folder: Path, since: float) -> str | None:
    for path in sorted(mail_folder.glob("*.eml")):
        if path.stat().st_mtime < since:
            continue
        message = read_mail(path)
        if SUBSCRIBER["email"] in str(message["To"]):
            body = message.get_body(preferencelist=("plain", "html"))
            match = re.search(r"https?://\S+/subscriptions/confirm\?token=[\w.\-]+", body.get_content() if body else "")
            if match:
                return match.group(0)
    return None


def seed_once(urls: dict[str, str], token: str, mail_folder: Path) -> str:
    status, existing = call("GET", f"{urls['actors']}/api/v1/actors?limit=1")
    if status == 200 and existing.get("total", 0) > 0:
        return "already present"
    actor_ids = [call("POST", f"{urls['actors']}/api/v1/actors", token, actor)[1]["id"] for actor in ACTORS]

    def make_partner():  # noqa: ANN202
        status, body = call("POST", f"{urls['offers']}/api/v1/partners", token,
                            {"name": "Kursdatenbank Niedersachsen", "actor_id": actor_ids[0]})
        return body if status == 201 else None

    partner = retry(make_partner)
    if partner is None:
        return "failed: the offers service did not learn about the demo actors"
    for external_id, actor_index, offer in OFFERS[:-1]:
        body = {**offer, "provider_actor_id": actor_ids[actor_index]}
        retry(lambda body=body, external_id=external_id: call(
            "PUT", f"{urls['offers']}/api/v1/partners/{partner['id']}/offers/{external_id}", partner["api_key"], body
        )[0] in (200, 201) or None)

    subscribed_at = time.time() - 1
    status, _ = call("POST", f"{urls['notifications']}/api/v1/subscriptions", None, SUBSCRIBER)
    link = retry(lambda: confirmation_link(mail_folder, subscribed_at), timeout=20) if status == 202 else None
    if link:
        urllib.request.urlopen(link, timeout=10).close()
        subscriber = f"{SUBSCRIBER['email']} confirmed"
    else:
        subscriber = "subscriber not confirmed (no confirmation mail in the local sink)"
    external_id, actor_index, offer = OFFERS[-1]  # published after confirmation: the subscriber gets an alert
    call("PUT", f"{urls['offers']}/api/v1/partners/{partner['id']}/offers/{external_id}", partner["api_key"],
         {**offer, "provider_actor_id": actor_ids[actor_index]})
    return f"{len(ACTORS)} actors, {len(OFFERS)} offers, partner key {partner['api_key']}, {subscriber}"
