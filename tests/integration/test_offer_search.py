"""The offer search on SQLite and PostgreSQL, through the real write path (save_offer, the actor
handler) and the search use case: words, umlauts, plurals, places, languages by name, childcare,
providers, relevance and keyset pages."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from npa.contracts.envelope import new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.offer_body import OfferBody
from npa.infrastructure.database import make_engine, run_migrations
from services.offers import usecases
from services.offers.usecases import full_text, known_actors, search
from tests.support.offer_seed import seed_offers
from tests.support.services import ROOT

COURSE = "Deutschkurs A1 für Frauen mit Kinderbetreuung"
OFFERS = [
    {"title": COURSE, "fields": ["sprache"], "district": "03403", "city": "Oldenburg (Oldb)", "postcode": "26121",
     "languages": ["de", "ar"], "women_only": True, "childcare": True, "provider_actor_id": "caritas-ol"},
    {"title": "Deutschkurs B1 am Abend", "fields": ["sprache"], "district": "03241", "city": "Hannover",
     "postcode": "30159", "languages": ["de", "uk"]},
    {"title": "Sprachkurs für Anfängerinnen", "fields": ["sprache"], "district": "03458", "city": "Wildeshausen",
     "postcode": "27793", "summary": "Für Frauen, vormittags.", "childcare": True},
    {"title": "Beratung für Mütter", "fields": ["teilhabe"], "district": "03159", "city": "Göttingen",
     "postcode": "37073", "description": "Treffpunkt in der Weender Straße.", "languages": ["de", "fa"]},
    {"title": "Bewerbungstraining", "fields": ["arbeit"], "district": None, "format": "online",
     "languages": ["de", "en"], "costs": "20 € pro Termin", "provider_actor_id": "jobcenter-h"},
]


@pytest.fixture
def session(database_url) -> Iterator[Session]:  # noqa: ANN001
    run_migrations(ROOT / "services" / "offers" / "migrations", database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        known_actors.on_actor_events(session, [actor("caritas-ol", "Caritasverband Oldenburg"),
                                               actor("jobcenter-h", "Jobcenter Region Hannover")])
        for body in OFFERS:
            usecases.save_offer(session, None, OfferBody.model_validate(body), base_url="")
        session.commit()
        yield session
    engine.dispose()


def actor(actor_id: str, name: str):  # noqa: ANN201
    state = actor_events.ActorState(id=actor_id, version=1, name=name, kind="freier_traeger", districts=[],
                                    fields=["sprache"])
    return new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject=actor_id,
                     data=state.model_dump(mode="json"))


def titles(session: Session, **params) -> list[str]:  # noqa: ANN003
    page = search.search_offers(session, search.parse_filters(**params), limit=50, base_url="")
    assert page.total == len(page.items)
    return [item["title"] for item in page.items]


def test_words_umlauts_plurals_places_languages_and_childcare(session):  # noqa: ANN001
    assert titles(session, q="Deutschkurs Frauen") == [COURSE]  # each word must match, wherever it stands
    assert sorted(titles(session, q="deutschkurs")) == [COURSE, "Deutschkurs B1 am Abend"]
    assert titles(session, q="Sprachkurse") == ["Sprachkurs für Anfängerinnen"]  # plural finds singular
    assert titles(session, q="Sprach") == ["Sprachkurs für Anfängerinnen"]  # a word's start finds it
    for spelling in ("Mütter Göttingen", "Muetter Goettingen", "MUTTER goettingen", "Weender Strasse"):
        assert titles(session, q=spelling) == ["Beratung für Mütter"], spelling
    # The city is searched, and the district's name: Wildeshausen lies in the Landkreis Oldenburg.
    assert sorted(titles(session, q="Oldenburg")) == [COURSE, "Sprachkurs für Anfängerinnen"]
    assert titles(session, city="Oldenburg") == [COURSE]
    assert titles(session, city="oldenburg (oldb)") == [COURSE]
    assert titles(session, city="Göttingen") == titles(session, city="Goettingen") == ["Beratung für Mütter"]
    assert titles(session, postcode="26121") == [COURSE]
    assert sorted(titles(session, postcode="2")) == [COURSE, "Sprachkurs für Anfängerinnen"]  # a postcode's start
    for name in ("Arabisch", "arabic", "AR", "ar"):
        assert titles(session, language=name) == [COURSE], name
    assert titles(session, language="Persisch") == titles(session, language="Farsi") == ["Beratung für Mütter"]
    assert sorted(titles(session, childcare=True)) == [COURSE, "Sprachkurs für Anfängerinnen"]
    assert "Bewerbungstraining" in titles(session, childcare=False)
    assert titles(session, q="Bewerbungstraining", free=False) == ["Bewerbungstraining"]
    assert titles(session, q="für mit") == titles(session)  # stop words alone narrow nothing


def test_the_course_in_the_oldenburg_area(session):  # noqa: ANN001
    """Issue 9: "Deutschkurs Frauen" with childcare in the Oldenburg area finds the course."""
    for region in ("03403", "Weser-Ems"):
        assert titles(session, q="Deutschkurs Frauen", childcare=True, region=region) == [COURSE]
    assert titles(session, q="Deutschkurs Frauen", childcare=True, city="Oldenburg") == [COURSE]
    assert titles(session, q="Deutschkurs Frauen", childcare=True, region="03241") == []
    assert titles(session, region="03241", field="arbeit") == ["Bewerbungstraining"]  # state-wide: every region


def test_provider_names_and_relevance(session):  # noqa: ANN001
    assert titles(session, q="Caritas") == [COURSE]  # the provider's name, from known_actors
    assert titles(session, q="Caritasverband Deutschkurs") == [COURSE]
    assert titles(session, q="Jobcenter") == ["Bewerbungstraining"]
    # Every word in the title first, then the newest: "Frauen" is in the course's title only.
    assert titles(session, q="Frauen") == [COURSE, "Sprachkurs für Anfängerinnen"]


def test_bad_filters_name_their_parameter():
    for params, name in [({"language": "Klingonisch"}, "language"), ({"postcode": "26a"}, "postcode"),
                         ({"postcode": "261215"}, "postcode"), ({"region": "Atlantis"}, "region"),
                         ({"field": "kochen"}, "field"), ({"target_group": "hunde"}, "target_group"),
                         ({"q": "x" * 201}, "q"), ({"status": "archiviert"}, "status")]:
        with pytest.raises(search.InvalidFilter) as raised:
            search.parse_filters(**params)
        assert raised.value.parameter == name
    with pytest.raises(search.InvalidFilter) as raised:
        search.Cursor.decode("not-a-cursor")
    assert raised.value.parameter == "cursor"


@pytest.mark.parametrize("walk_from", [2000, 10])  # sorted lookup, and the date-index walk
def test_keyset_pages_are_stable_and_complete(session, monkeypatch, walk_from):  # noqa: ANN001
    monkeypatch.setattr(full_text, "WALK_FROM", walk_from)
    seed_offers(session, 300, seed=3)
    for params in ({}, {"q": "Deutschkurs"}, {"q": "Frauen"}, {"field": "sprache", "region": "Weser-Ems"}):
        filters = search.parse_filters(**params)
        everything = search.search_offers(session, filters, limit=500, base_url="")
        assert everything.next_cursor is None and everything.total == len(everything.items) > 12, params
        seen, cursor = [], None
        while True:
            page = search.search_offers(session, filters, limit=12, cursor=cursor, base_url="")
            assert page.total == everything.total
            seen += [item["id"] for item in page.items]
            if page.next_cursor is None:
                break
            cursor = search.Cursor.decode(page.next_cursor)
        assert seen == [item["id"] for item in everything.items], params  # same order, none twice, none left out
        by_offset = search.search_offers(session, filters, limit=12, offset=12, base_url="")
        assert [item["id"] for item in by_offset.items] == seen[12:24]
