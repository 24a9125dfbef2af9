import json
import uuid

import pytest

from npa.contracts.envelope import MalformedEvent, decode, encode, new_event


def test_new_event_is_a_cloudevent_with_uuid_and_subject():
    event = new_event(source="/services/offers", type="de.npa.offer.published", subject="o-1", data={"version": 1})
    document = json.loads(encode(event))
    assert document["specversion"] == "1.0"
    assert uuid.UUID(document["id"])
    assert document["source"] == "/services/offers"
    assert document["type"] == "de.npa.offer.published"
    assert document["subject"] == "o-1"
    assert document["datacontenttype"] == "application/json"
    assert document["time"].endswith("Z") or "+00:00" in document["time"]
    assert document["data"] == {"version": 1}


def test_round_trip_keeps_everything():
    event = new_event(source="/s", type="t", subject="x", data={"version": 3, "title": "Sprachcafé"})
    assert decode(encode(event)) == event
    assert decode(encode(event)).version == 3


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "body is not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe", "body is not JSON"),
        (json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}).encode(), "time: Field required"),
        (
            json.dumps({"specversion": "0.3", "id": "1", "source": "/s", "type": "t", "time": "2026-01-01T00:00:00Z",
                        "subject": "x", "data": {}}).encode(),
            "specversion",
        ),
    ],
)
def test_malformed_bodies_name_the_problem(raw, reason):
    with pytest.raises(MalformedEvent, match=reason):
        decode(raw)


def test_version_is_none_when_absent_or_not_an_integer():
    assert new_event(source="/s", type="t", subject="x", data={}).version is None
    assert new_event(source="/s", type="t", subject="x", data={"version": "2"}).version is None
