"""Bulk import of partner offers against the real broker and real databases (SQLite, PostgreSQL)."""

import json

from npa.contracts import topics
from npa.contracts.envelope import decode
from tests.support.offers import OFFER, bearer, create_partner, register_actor
from tests.support.services import ADMIN, read_topic, running_service, service_settings

JSONL = {"Content-Type": "application/x-ndjson"}


def jsonl(*documents: object) -> bytes:
    return "\n".join(d if isinstance(d, str) else json.dumps(d, ensure_ascii=False) for d in documents).encode()


async def test_mixed_jsonl_import_applies_valid_rows_and_reports_every_row(kafka_bootstrap, database_url):
    settings = service_settings("offers", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        base = f"/api/v1/partners/{partner['id']}"
        existing = await client.put(f"{base}/offers/kurs-0", json=OFFER, headers=bearer(partner))
        assert existing.status_code == 201

        body = jsonl(
            {"external_id": "kurs-1", "offer": OFFER},
            {"external_id": "kurs-2", "offer": {**OFFER, "district": "99999", "fields": ["kochen"]}},
            {"external_id": "kurs-3", "offer": {**OFFER, "title": "Erste Fassung"}},
            "",  # a blank line is no row
            "{not json",
            {"external_id": "kurs-0", "delete": True},
            {"external_id": "kurs-3", "offer": {**OFFER, "title": "Zweite Fassung"}},
            {"external_id": "kurs-404", "delete": True},
            {"external_id": "kurs-5", "offer": {**OFFER, "provider_actor_id": "nobody"}},
        )
        first = await client.post(f"{base}/offers:import", content=body, headers={**JSONL, **bearer(partner)})
        assert first.status_code == 200, first.text
        report = first.json()
        assert report["summary"] == {"created": 2, "updated": 0, "unchanged": 0, "withdrawn": 1, "rejected": 5,
                                     "rows": 8, "duplicates": 1}
        rows = {row["row"]: row for row in report["rows"]}
        assert [rows[n]["result"] for n in range(1, 9)] == [
            "created", "rejected", "rejected", "rejected", "withdrawn", "created", "rejected", "rejected"]
        assert {tuple(e["loc"]) for e in rows[2]["errors"]} == {("offer", "district"), ("offer", "fields")}
        assert "row 6" in rows[3]["errors"][0]["msg"] and rows[3]["errors"][0]["loc"] == ["external_id"]
        assert rows[6]["replaces_rows"] == [3] and rows[6]["line"] == 7
        assert rows[4]["errors"][0]["loc"] == ["line"] and rows[4]["line"] == 5
        assert rows[5]["offer_id"] == existing.json()["id"]
        assert "no offer 'kurs-404'" in rows[7]["errors"][0]["msg"]
        assert rows[8]["errors"][0]["loc"] == ["offer", "provider_actor_id"]

        kurs_1 = (await client.get(f"/api/v1/offers/{rows[1]['offer_id']}")).json()
        assert (kurs_1["external_id"], kurs_1["status"], kurs_1["women_only"]) == ("kurs-1", "published", True)
        assert (await client.get(f"/api/v1/offers/{rows[6]['offer_id']}")).json()["title"] == "Zweite Fassung"
        assert (await client.get(f"/api/v1/offers/{rows[5]['offer_id']}")).json()["status"] == "withdrawn"

        events = [decode(record.value) for record in await read_topic(kafka_bootstrap, topics.OFFERS, expected=4)]
        by_subject = {(event.subject, event.type): event for event in events}
        assert len(events) == 4
        assert (rows[1]["offer_id"], "de.npa.offer.published") in by_subject
        assert by_subject[(rows[6]["offer_id"], "de.npa.offer.published")].data["title"] == "Zweite Fassung"
        assert (rows[5]["offer_id"], "de.npa.offer.withdrawn") in by_subject

        again = await client.post(f"{base}/offers:import", content=body, headers={**JSONL, **bearer(partner)})
        assert again.status_code == 200
        assert again.json()["summary"] == {"created": 0, "updated": 0, "unchanged": 3, "withdrawn": 0,
                                           "rejected": 5, "rows": 8, "duplicates": 1}
        records = await read_topic(kafka_bootstrap, topics.OFFERS, expected=5, timeout=2.0)
        assert len(records) == 4, "an unchanged re-import must publish nothing"


CSV = (
    "\ufeffexternal_id;title;fields;district;languages;target_groups;women_only;childcare;starts_on;city;delete\n"
    "vhs-1;Sprachcafé für Mütter in Lüneburg;sprache|teilhabe;03355;de|ar|fa;frauen|familien;ja;nein;01.03.2026;"
    "Lüneburg;\n"
    '"vhs-2";"Bewerbungstraining; mit Übungen";arbeit;03241;;;nein;ja;2026-04-01;Hannover;\n'
    "vhs-3;Wohnungssuche;wohnen;03241;;;vielleicht;;;;\n"
    "vhs-1;Sprachcafé für Mütter in Lüneburg – Größere Gruppe;sprache|teilhabe;03355;de|ar|fa;frauen;ja;nein;;"
    "Lüneburg;\n"
    "\n"
    "vhs-9;;;;;;;;;;ja\n"
)


async def test_csv_import_with_semicolons_and_umlauts(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner = await create_partner(client)
        url = f"/api/v1/partners/{partner['id']}/offers:import"
        headers = {"Content-Type": "text/csv; charset=utf-8", **bearer(partner)}

        response = await client.post(url, content=CSV.encode("utf-8"), headers=headers)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["summary"] | {"rows": 0} == {"created": 2, "updated": 0, "unchanged": 0, "withdrawn": 0,
                                                   "rejected": 3, "rows": 0, "duplicates": 1}
        rows = {row["row"]: row for row in report["rows"]}
        assert rows[3]["errors"] == [{"loc": ["offer", "women_only"],
                                      "msg": "'vielleicht' is not a yes/no value; use ja/nein, true/false or 1/0"}]
        assert rows[1]["result"] == "rejected" and rows[4]["replaces_rows"] == [1]
        assert "no offer 'vhs-9'" in rows[5]["errors"][0]["msg"] and rows[5]["line"] == 7

        vhs_1 = (await client.get(f"/api/v1/offers/{rows[4]['offer_id']}")).json()
        assert vhs_1["title"] == "Sprachcafé für Mütter in Lüneburg – Größere Gruppe"
        assert (vhs_1["fields"], vhs_1["languages"], vhs_1["target_groups"]) == (
            ["sprache", "teilhabe"], ["ar", "de", "fa"], ["frauen"])
        assert (vhs_1["women_only"], vhs_1["childcare"], vhs_1["city"]) == (True, False, "Lüneburg")
        vhs_2 = (await client.get(f"/api/v1/offers/{rows[2]['offer_id']}")).json()
        assert (vhs_2["title"], vhs_2["starts_on"], vhs_2["languages"]) == (
            "Bewerbungstraining; mit Übungen", "2026-04-01", None)  # empty cell: not stated (ADR 19)

        changed = CSV.replace("Bewerbungstraining; mit Übungen", "Bewerbungstraining für Geflüchtete")
        second = (await client.post(url, content=changed.encode(), headers=headers)).json()
        assert [row["result"] for row in second["rows"]] == ["rejected", "updated", "rejected", "unchanged", "rejected"]
        events = [decode(r.value) for r in await read_topic(kafka_bootstrap, topics.OFFERS, expected=3)]
        assert [event.type for event in events if event.subject == rows[2]["offer_id"]] == [
            "de.npa.offer.published", "de.npa.offer.updated"]
        update = next(event for event in events if event.type == "de.npa.offer.updated")
        assert update.data["changed_fields"] == ["title"]

        header_only = "external_id;titel\nx;y\n"
        bad = await client.post(url, content=header_only.encode(), headers=headers)
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "header", "titel"]
        latin1 = "external_id;title;fields\nx;Größe;sprache\n".encode("latin-1")
        bad = await client.post(url, content=latin1, headers=headers)
        assert bad.status_code == 422 and "not UTF-8" in bad.json()["detail"][0]["msg"]


async def test_import_limits_content_types_and_ownership(kafka_bootstrap, sqlite_url):
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await register_actor(kafka_bootstrap, "actor-1")
        partner_a, partner_b = await create_partner(client), await create_partner(client)
        url_a = f"/api/v1/partners/{partner_a['id']}/offers:import"
        one_row = jsonl({"external_id": "kurs-1", "offer": OFFER})

        too_many = jsonl(*({"external_id": f"k-{n}", "delete": True} for n in range(10_001)))
        response = await client.post(url_a, content=too_many, headers={**JSONL, **ADMIN})
        assert response.status_code == 413
        assert "more than 10,000 rows" in response.json()["detail"]
        csv_rows = "external_id;delete\n" + "".join(f"k-{n};ja\n" for n in range(10_001))
        response = await client.post(url_a, content=csv_rows.encode(), headers={"Content-Type": "text/csv", **ADMIN})
        assert response.status_code == 413

        for content_type in ("application/json", "text/plain", "text/csv; charset=latin-1"):
            response = await client.post(url_a, content=one_row, headers={"Content-Type": content_type,
                                                                           **bearer(partner_a)})
            assert response.status_code == 415, content_type
            assert "application/x-ndjson" in response.json()["detail"]

        response = await client.post(url_a, content=one_row, headers={**JSONL, **bearer(partner_b)})
        assert response.status_code == 403
        assert (await client.post(url_a, content=one_row, headers=JSONL)).status_code == 401
        response = await client.post("/api/v1/partners/nobody/offers:import", content=one_row,
                                     headers={**JSONL, **ADMIN})
        assert response.status_code == 404

        ok = await client.post(url_a, content=one_row, headers={"Content-Type": "application/jsonl", **ADMIN})
        assert ok.status_code == 200 and ok.json()["summary"]["created"] == 1
        records = await read_topic(kafka_bootstrap, topics.OFFERS, expected=2, timeout=1.5)
        assert len(records) == 1, "refused imports must publish nothing"
