"""Issue #5 (Operations) against the four services as real processes: after a small flow every
metric that a Grafana dashboard or an alert rule reads is exported by at least one service,
the consuming services export their consumer lag, and the lag drains to 0."""

import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from npa.contracts import topics
from tests.support import monitoring
from tests.support.services import ADMIN, eventually, produce

pytestmark = pytest.mark.e2e

OFFER = {"title": "Sprachcafé für Frauen", "fields": ["sprache"], "district": "03241", "city": "Hannover",
         "women_only": True, "costs": "kostenlos"}
CONSUMERS = {"offers", "notifications", "reports"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def scrape(client: httpx.Client, url: str) -> list[tuple[str, dict[str, str], float]]:
    response = client.get(f"{url}/metrics")
    assert response.status_code == 200
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(response.text)
            for s in family.samples]


def coverage(client: httpx.Client, url: str) -> int:
    rows = client.get(f"{url}/api/v1/reports/coverage", params={"level": "district"}).json()["rows"]
    return next(r["active_offers"] for r in rows if r["district"] == "03241" and r["field"] == "sprache")


async def drive_a_small_flow(client: httpx.Client, urls: dict[str, str], bootstrap: str, smtp_sink) -> None:  # noqa: ANN001
    actor = client.post(f"{urls['actors']}/api/v1/actors", headers=ADMIN, json={
        "name": "Frauentreff Linden", "kind": "initiative", "districts": ["03241"], "fields": ["sprache"]})
    assert actor.status_code == 201, actor.text
    subscription = client.post(f"{urls['notifications']}/api/v1/subscriptions", json={
        "email": "koordination@example.org", "fields": ["sprache"], "regions": [], "frequency": "immediate",
        "language": "de"})
    assert subscription.status_code == 202, subscription.text
    smtp_sink.handler.wait_for(1)  # the confirmation mail: npa_notifications_mails_total

    async def create_partner():  # once the actor has reached the offers service
        response = client.post(f"{urls['offers']}/api/v1/partners", headers=ADMIN,
                               json={"name": "Kursdatenbank", "actor_id": actor.json()["id"]})
        return response.json() if response.status_code == 201 else None

    partner = await eventually(create_partner)
    put = client.put(f"{urls['offers']}/api/v1/partners/{partner['id']}/offers/cafe-1",
                     headers={"Authorization": f"Bearer {partner['api_key']}"}, json=OFFER)
    assert put.status_code == 201, put.text
    await produce(bootstrap, topics.PARTNER_OFFERS, b"not a cloud event", key=b"x")  # → npa.partner.offers.v1.dlq
    await eventually(lambda: coverage(client, urls["reports"]) == 1, timeout=30)


async def test_every_metric_in_dashboards_and_alerts_is_exported_and_lag_drains(platform, smtp_sink) -> None:  # noqa: ANN001
    urls = platform.urls
    with httpx.Client(timeout=10) as client:
        await drive_a_small_flow(client, urls, platform.bootstrap, smtp_sink)

        async def dead_letter_counted() -> dict:
            scraped = {name: scrape(client, url) for name, url in urls.items()}
            assert any(name == "npa_dlq_messages_total" and labels["topic"] == topics.PARTNER_OFFERS and value == 1
                       for name, labels, value in scraped["offers"]), "the bad partner message is not counted yet"
            return scraped

        scraped = await eventually(dead_letter_counted, timeout=30, interval=0.5)

    exported: dict[str, set[str]] = {service: {name for name, _, _ in samples} for service, samples in scraped.items()}
    every = set().union(*exported.values())
    missing = {
        query.origin: sorted(names)
        for query in monitoring.dashboard_queries() + monitoring.alert_queries()
        if (names := monitoring.metric_names(query.expr) - monitoring.SYNTHETIC - every)
    }
    assert not missing, f"queries read metrics no service exports: {missing}"

    for service, names in exported.items():  # what every service has, whatever it does
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                     "python_gc_objects_collected_total", "npa_outbox_pending", "npa_outbox_pending_oldest_age_seconds",
                     "npa_http_request_duration_seconds_bucket"):
            assert name in names, f"{service} does not export {name}"
    for service in ("actors", "offers"):  # they published in the flow (notifications publishes on confirmations)
        assert "npa_events_published_total" in exported[service], service

    for service, samples in scraped.items():
        groups = {labels["group"] for name, labels, _ in samples if name == "npa_consumer_lag"}
        assert groups == ({service} if service in CONSUMERS else set()), (service, groups)
        up = [value for name, labels, value in samples if name == "npa_consumer_lag_up"]
        assert up == ([1.0] if service in CONSUMERS else []), (service, up)
        handled = {labels["outcome"] for name, labels, _ in samples if name == "npa_events_consumed_total"}
        assert ("applied" in handled) == (service in CONSUMERS), (service, handled)
        # bounded label sets: no entity ids, e-mail addresses or tokens in any label value
        for name, labels, _ in samples:
            for value in labels.values():
                assert not UUID.search(value) and "@" not in value, (service, name, labels)


async def test_consumer_lag_drains_to_zero_and_the_ops_page_shows_it(platform, smtp_sink) -> None:  # noqa: ANN001
    urls = platform.urls
    with httpx.Client(timeout=10) as client:
        await drive_a_small_flow(client, urls, platform.bootstrap, smtp_sink)

        def drained() -> dict:
            lag = {}
            for service in CONSUMERS:
                for name, labels, value in scrape(client, urls[service]):
                    if name == "npa_consumer_lag":
                        lag[(labels["group"], labels["topic"], labels["partition"])] = value
            assert lag and not any(lag.values()), {key: value for key, value in lag.items() if value}
            return lag

        lag = await eventually(drained, timeout=40, interval=1.0)
        assert {group for group, _, _ in lag} == CONSUMERS

        view = client.get(f"{urls['reports']}/api/v1/ops/lag").json()
        assert view["available"] and {g["group"]: g["lag"] for g in view["groups"]} == dict.fromkeys(CONSUMERS, 0)
        sizes = {item["topic"]: item["messages"] for item in view["dead_letters"]}
        assert sizes["npa.partner.offers.v1.dlq"] == 1 and sizes["npa.offers.v1.dlq"] == 0
        page = client.get(f"{urls['reports']}/ops")
        assert page.status_code == 200 and "Verzug je Verbrauchergruppe" in page.text
