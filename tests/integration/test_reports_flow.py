"""The reports service against the real broker and real databases: events in, reports out."""

import csv
import io
import re

import httpx
from prometheus_client import REGISTRY

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, encode, new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from tests.support.services import eventually, produce, read_topic, running_service, service_settings

HANNOVER = "03241"


def offer_event(offer_id: str, type_: str, version: int, *, status: str = "published",
                district: str | None = HANNOVER, fields: tuple[str, ...] = ("sprache",)) -> CloudEvent:
    state = offer_events.OfferState(id=offer_id, version=version, status=status, title="Deutschkurs für Frauen",
                                    fields=list(fields), district=district, women_only=True, costs="kostenlos")
    return new_event(source=offer_events.SOURCE, type=type_, subject=offer_id, data=state.model_dump(mode="json"))


async def send(bootstrap: str, topic: str, event: CloudEvent) -> None:
    await produce(bootstrap, topic, encode(event), key=event.subject.encode())


def consumed(type_: str, outcome: str) -> float:
    """Process-wide counter of the shared consumer, read as a delta by the tests."""
    labels = {"topic": topics.OFFERS, "type": type_, "outcome": outcome}
    return REGISTRY.get_sample_value("npa_events_consumed_total", labels) or 0.0


async def coverage(client: httpx.AsyncClient, **params: str) -> dict:
    response = await client.get("/api/v1/reports/coverage", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def cell(client: httpx.AsyncClient, district: str, field: str, column: str = "active_offers") -> int:
    rows = (await coverage(client, field=field))["rows"]
    return next(row[column] for row in rows if row["district"] == district)


async def gaps(client: httpx.AsyncClient) -> dict:
    response = await client.get("/api/v1/reports/gaps")
    assert response.status_code == 200, response.text
    return response.json()


async def test_offer_lifecycle_drives_coverage_gaps_and_gauge(database_url: str, kafka_bootstrap: str) -> None:
    settings = service_settings("reports", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        duplicates_before = consumed(offer_events.PUBLISHED, "duplicate")
        published = encode(offer_event("offer-1", offer_events.PUBLISHED, 1))
        for _ in range(3):  # a redelivered event counts once
            await produce(kafka_bootstrap, topics.OFFERS, published, key=b"offer-1")

        async def counted_once() -> bool:
            return consumed(offer_events.PUBLISHED, "duplicate") == duplicates_before + 2 and \
                await cell(client, HANNOVER, "sprache") == 1
        await eventually(counted_once)
        assert await cell(client, HANNOVER, "sprache", "women_only_offers") == 1
        assert await cell(client, HANNOVER, "sprache", "free_offers") == 1
        found = await gaps(client)
        assert found["total"] == 224 and found["districts_without_offers"]["sprache"] == 44
        assert (HANNOVER, "sprache") not in {(g["district"], g["field"]) for g in found["gaps"]}
        arl = await coverage(client, level="arl", field="sprache")
        leine_weser = next(row for row in arl["rows"] if row["arl_region"] == "Leine-Weser")
        assert (leine_weser["active_offers"], leine_weser["districts_without_offers"]) == (1, 6)
        metrics = (await client.get("/metrics")).text
        assert f'npa_reports_active_offers{{district="{HANNOVER}",field="sprache"}} 1.0' in metrics

        await send(kafka_bootstrap, topics.OFFERS, offer_event("offer-1", offer_events.WITHDRAWN, 2, status="withdrawn"))
        await eventually(lambda: _is(cell(client, HANNOVER, "sprache"), 0))

        stale_before = consumed(offer_events.UPDATED, "stale")
        await send(kafka_bootstrap, topics.OFFERS, offer_event("offer-1", offer_events.UPDATED, 1))
        await eventually(lambda: consumed(offer_events.UPDATED, "stale") == stale_before + 1)
        assert await cell(client, HANNOVER, "sprache") == 0

        await send(kafka_bootstrap, topics.OFFERS,
                   offer_event("offer-2", offer_events.PUBLISHED, 1, district=None, fields=("sprache", "arbeit")))

        async def statewide_counted() -> bool:
            return (await coverage(client))["statewide"]["arbeit"]["active_offers"] == 1
        await eventually(statewide_counted)
        body = await coverage(client)
        assert body["statewide"]["sprache"]["active_offers"] == 1
        assert all(row["active_offers"] == 0 for row in body["rows"]), "a state-wide offer fills no district"
        found = await gaps(client)
        assert found["total"] == 225 and found["districts_without_offers"]["sprache"] == 45
        assert found["statewide_offers"]["sprache"] == 1 and "state-wide" in found["note"].lower()
        metrics = (await client.get("/metrics")).text
        assert f'npa_reports_active_offers{{district="{HANNOVER}",field="sprache"}} 0.0' in metrics
        assert 'npa_reports_active_offers{district="statewide",field="arbeit"} 1.0' in metrics


async def _is(value, expected) -> bool:  # noqa: ANN001
    return await value == expected


async def test_actors_examples_and_notifications_reach_their_read_models(database_url: str, kafka_bootstrap: str) -> None:
    settings = service_settings("reports", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        actor = actor_events.ActorState(id="a1", version=1, name="Flüchtlingshilfe", kind="verein",
                                        districts=[HANNOVER, "03251"], fields=["sprache"], is_multiplier=True)
        example = example_events.ExampleState(id="e1", version=1, status="published", title="Sprachcafé",
                                              fields=["sprache"], district=HANNOVER)
        sent = notification_events.DeliveryOutcome(id="d1", subscription_id="s1", event_id="x", item_id="offer-1",
                                                    event_type=offer_events.PUBLISHED, fields=["sprache"])
        await send(kafka_bootstrap, topics.ACTORS, new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED,
                                                             subject="a1", data=actor.model_dump(mode="json")))
        await send(kafka_bootstrap, topics.EXAMPLES, new_event(source=example_events.SOURCE, type=example_events.PUBLISHED,
                                                               subject="e1", data=example.model_dump(mode="json")))
        await send(kafka_bootstrap, topics.NOTIFICATIONS, new_event(source=notification_events.SOURCE,
                                                                    type=notification_events.SENT, subject="d1",
                                                                    data=sent.model_dump(mode="json")))

        async def all_arrived() -> bool:
            row = next(r for r in (await coverage(client, field="sprache"))["rows"] if r["district"] == HANNOVER)
            figures = (await client.get("/api/v1/reports/notifications")).json()["fields"]
            return (row["actors"], row["multipliers"], row["examples"], figures[0]["sent"]) == (1, 1, 1, 1)
        await eventually(all_arrived)
        arl = await coverage(client, level="arl", field="sprache")
        assert next(r for r in arl["rows"] if r["arl_region"] == "Leine-Weser")["actors"] == 1  # two districts, one actor


async def test_malformed_and_unknown_messages_go_to_the_dlq_and_consumption_goes_on(sqlite_url: str, kafka_bootstrap: str) -> None:
    settings = service_settings("reports", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await produce(kafka_bootstrap, topics.OFFERS, b"{not json", key=b"offer-9")
        unknown = new_event(source=offer_events.SOURCE, type="de.npa.offer.teleported", subject="offer-9", data={"version": 1})
        await send(kafka_bootstrap, topics.OFFERS, unknown)
        await send(kafka_bootstrap, topics.OFFERS, offer_event("offer-9", offer_events.PUBLISHED, 1))
        await eventually(lambda: _is(cell(client, HANNOVER, "sprache"), 1))

        parked = await read_topic(kafka_bootstrap, topics.dead_letter(topics.OFFERS), expected=2)
        assert sorted(record.value for record in parked) == sorted([b"{not json", encode(unknown)])
        reasons = [dict(record.headers)["npa-dlq-reason"].decode() for record in parked]
        assert any("not JSON" in reason for reason in reasons)
        assert any("de.npa.offer.teleported" in reason for reason in reasons)
        assert all(dict(record.headers)["npa-dlq-consumer-group"] == b"reports" for record in parked)


async def test_http_contract_regions_validation_export_and_dashboard(sqlite_url: str, kafka_bootstrap: str) -> None:
    settings = service_settings("reports", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await send(kafka_bootstrap, topics.OFFERS, offer_event("offer-5", offer_events.PUBLISHED, 1))
        await eventually(lambda: _is(cell(client, HANNOVER, "sprache"), 1))

        regions = (await client.get("/api/v1/regions")).json()
        assert len(regions["districts"]) == 45 and len(regions["arl_regions"]) == 4
        assert {"ags": HANNOVER, "name": "Region Hannover", "kind": "Region", "arl_region": "Leine-Weser"} in regions["districts"]
        assert sum(len(region["districts"]) for region in regions["arl_regions"]) == 45

        for params, name in (({"level": "foo"}, "level"), ({"field": "kochen"}, "field")):
            response = await client.get("/api/v1/reports/coverage", params=params)
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["query", name]
        assert (await client.get("/api/v1/reports/gaps", params={"field": "kochen"})).status_code == 422
        for path, params, name in (("/api/v1/reports/trends", {"region": "Atlantis"}, "region"),
                                   ("/api/v1/reports/trends", {"months": 0}, "months"),
                                   ("/api/v1/reports/recognition", {"limit": 0}, "limit")):
            response = await client.get(path, params=params)
            assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", name], path
        assert len((await coverage(client, level="arl"))["rows"]) == 4 * 5

        export = await client.get("/reports/export.csv")
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("text/csv")
        assert export.headers["content-disposition"].startswith("attachment;")
        assert export.content.startswith("\ufeff".encode())
        lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
        assert len(lines) == 1 + 45 * 5
        assert [HANNOVER, "Region Hannover", "Leine-Weser", "sprache", "Sprachförderung", "1"] == lines[
            next(i for i, line in enumerate(lines) if line[0] == HANNOVER and line[3] == "sprache")][:6]

        page = await client.get("/reports")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert '<html lang="de" dir="ltr">' in html and "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
        assert "Region Hannover" in html and "Lücken" in html and "/reports/export.csv" in html
        assert "224 von 225" in html
        assert html.count('class="district"') == 45 and 'aria-label="Region Hannover: 1 aktives Angebot (Sprachförderung)"' in html
        assert "© GeoBasis-DE / BKG 2021 (Daten verändert)" in html and 'href="https://www.bkg.bund.de"' in html
        # nothing from elsewhere: the style sheets are the service's own (the CSP allows no other)
        assert not re.search(r'src=|@import|url\((?!#)', html), "no scripts or fonts, nothing imported"
        assert all(href.startswith("/") for href in re.findall(r'<link [^>]*href="([^"]+)"', html))
