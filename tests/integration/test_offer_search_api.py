"""GET /api/v1/offers as clients use it: the fields they know (total, items), next_cursor, the new
filters, and bad values answered with 422 naming the parameter."""

from tests.support.services import ADMIN, running_service, service_settings

COURSE = {"title": "Deutschkurs A1 für Frauen mit Kinderbetreuung", "fields": ["sprache"], "district": "03403",
          "city": "Oldenburg (Oldb)", "postcode": "26121", "languages": ["de", "ar"], "women_only": True,
          "childcare": True}


async def test_search_route_filters_pages_and_names_bad_parameters(kafka_bootstrap, sqlite_url):  # noqa: ANN001
    settings = service_settings("offers", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        assert (await client.post("/api/v1/offers", headers=ADMIN, json=COURSE)).status_code == 201
        for number in range(5):
            body = {"title": f"Sprachcafé {number}", "fields": ["sprache"], "district": "03241", "city": "Hannover"}
            assert (await client.post("/api/v1/offers", headers=ADMIN, json=body)).status_code == 201

        response = await client.get("/api/v1/offers", params={"q": "Deutschkurs Frauen", "childcare": "true",
                                                              "region": "03403", "language": "Arabisch"})
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["total"] == 1 and found["next_cursor"] is None
        assert found["items"][0]["title"] == COURSE["title"] and found["items"][0]["url"].endswith(
            f"/offers/{found['items'][0]['id']}")
        for params in ({"city": "Oldenburg"}, {"postcode": "261"}, {"q": "oldenburg"}, {"language": "arabic"}):
            assert (await client.get("/api/v1/offers", params=params)).json()["total"] == 1, params

        first = (await client.get("/api/v1/offers", params={"q": "Sprachcafé", "limit": 2})).json()
        assert first["total"] == 5 and len(first["items"]) == 2 and first["next_cursor"]
        titles = [item["title"] for item in first["items"]]
        cursor = first["next_cursor"]
        while cursor:
            page = (await client.get("/api/v1/offers", params={"q": "Sprachcafé", "limit": 2,
                                                                "cursor": cursor})).json()
            titles += [item["title"] for item in page["items"]]
            cursor = page["next_cursor"]
        assert sorted(titles) == [f"Sprachcafé {number}" for number in range(5)]
        assert titles[0] == "Sprachcafé 4"  # newest first among equally relevant offers

        for params, name in [({"language": "Klingonisch"}, "language"), ({"postcode": "26x"}, "postcode"),
                             ({"cursor": "kaputt"}, "cursor"), ({"cursor": first["next_cursor"], "offset": 2},
                                                                "offset")]:
            response = await client.get("/api/v1/offers", params=params)
            assert response.status_code == 422, (params, response.text)
            assert response.json()["detail"][0]["loc"] == ["query", name]
