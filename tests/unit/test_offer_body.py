import pytest
from pydantic import ValidationError

from npa.contracts.offer_body import OfferBody
from npa.contracts.reference import districts, districts_in

VALID = {"title": "Deutschkurs A1", "fields": ["sprache"], "district": "03241"}


def bad_fields(body: dict) -> set[str]:
    with pytest.raises(ValidationError) as info:
        OfferBody.model_validate(body)
    return {".".join(map(str, error["loc"])) for error in info.value.errors()}


def test_costs_and_languages_not_sent_stay_unknown():
    offer = OfferBody.model_validate(VALID)
    assert offer.languages is None  # not German by default
    assert offer.costs is None  # not free by default
    assert offer.state()["district"] == "03241"
    assert (offer.state()["costs"], offer.state()["languages"]) == (None, None)


def test_costs_and_languages_as_given():
    offer = OfferBody.model_validate({**VALID, "costs": "kostenlos", "languages": ["uk", "de"]})
    assert (offer.costs, offer.languages) == ("kostenlos", ["de", "uk"])


def test_state_wide_offer_has_no_district():
    assert OfferBody.model_validate({**VALID, "district": None}).district is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"district": "99999"}, "district"),
        ({"fields": ["kochen"]}, "fields"),
        ({"fields": []}, "fields"),
        ({"title": ""}, "title"),
        ({"languages": ["deutsch"]}, "languages"),
        ({"languages": []}, "languages"),
        ({"starts_on": "2026-03-01", "ends_on": "2026-02-01"}, "ends_on"),
        ({"registration_url": "not a url"}, "registration_url"),
        ({"contact_email": "nobody"}, "contact_email"),
        ({"format": "brieftaube"}, "format"),
        ({"target_groups": ["alle", "hunde"]}, "target_groups.1"),
        ({"description": "x" * 10_001}, "description"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_each_bad_value_is_named(change, field):
    assert field in bad_fields({**VALID, **change})


def test_reference_data_has_45_districts_in_four_regions():
    assert len(districts()) == 45
    assert districts()["03241"].name == "Region Hannover"
    regions = {d.arl_region for d in districts().values()}
    assert regions == {"Braunschweig", "Leine-Weser", "Lüneburg", "Weser-Ems"}
    assert "03241" in districts_in("Leine-Weser")
    assert districts_in("03241") == {"03241"}
