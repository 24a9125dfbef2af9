"""Import files → rows with errors (services/offers/imports.py): JSON lines and CSV, no web framework."""

import json

import pytest

from services.offers import imports

OFFER = {"title": "Deutschkurs A1", "fields": ["sprache"], "district": "03241"}


def jsonl(*documents: object) -> bytes:
    return "\n".join(d if isinstance(d, str) else json.dumps(d, ensure_ascii=False) for d in documents).encode()


def errors_of(row) -> set[tuple]:  # noqa: ANN001
    return {tuple(item["loc"]) for item in row.errors}


def test_jsonl_rows_are_validated_by_the_offer_body_and_numbered_by_row_and_line():
    rows = imports.parse(jsonl(
        {"external_id": "k-1", "offer": OFFER},
        "",
        {"external_id": "k-2", "offer": {**OFFER, "district": "12345", "postcode": "3016"}},
        {"external_id": "k-3", "delete": True},
        "[1, 2]",
        "{broken",
        {"external_id": "k-4", "offer": OFFER, "delete": True},
        {"external_id": "k-5", "delete": False},
        {"external_id": "k-6", "offer": OFFER, "extra": 1},
        {"external_id": "k/7 ü", "delete": True},
    ), "jsonl")
    assert [(row.row, row.line) for row in rows] == [
        (1, 1), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (9, 10)]
    assert rows[0].valid and rows[0].offer.district == "03241" and not rows[0].delete
    assert errors_of(rows[1]) == {("offer", "district"), ("offer", "postcode")}
    assert rows[2].valid and rows[2].delete and rows[2].offer is None
    assert rows[3].errors == [{"loc": ["line"], "msg": "not a JSON object"}]
    assert rows[4].errors[0]["loc"] == ["line"] and rows[4].errors[0]["msg"].startswith("not JSON:")
    assert rows[5].errors == [{"loc": ["offer"], "msg": 'Value error, a line needs either "offer": {…} or '
                                                        '"delete": true'}]
    assert errors_of(rows[6]) == {("delete",)}
    assert errors_of(rows[7]) == {("extra",)}
    assert errors_of(rows[8]) == {("external_id",)}
    assert [row.external_id for row in rows] == ["k-1", "k-2", "k-3", None, None, "k-4", "k-5", "k-6", "k/7 ü"]


def test_a_later_row_with_the_same_external_id_wins():
    rows = imports.parse(jsonl(
        {"external_id": "k-1", "offer": {**OFFER, "title": "Erste"}},
        {"external_id": "k-2", "offer": OFFER},
        {"external_id": "k-1", "offer": {**OFFER, "title": "Zweite"}},
        {"external_id": "k-1", "delete": True},
    ), "jsonl")
    assert [row.valid for row in rows] == [False, True, False, True]
    assert rows[0].errors[0]["loc"] == ["external_id"] and "row 4 (line 4)" in rows[0].errors[0]["msg"]
    assert rows[3].replaces_rows == [1, 3] and rows[3].delete


def test_csv_with_semicolons_umlauts_lists_booleans_and_german_dates():
    text = ("\ufeffexternal_id;Title;fields;languages;target_groups;women_only;childcare;starts_on;ends_on;city\n"
            'vhs-1;"Sprachcafé; für Mütter";sprache | teilhabe;de|ar|;frauen;Ja;0;1.3.2026;2026-06-30;Lüneburg\n'
            "\n"
            'vhs-2;"Mehrzeilig\nzweite Zeile";arbeit;;;nein;true;;;\n'
            "vhs-3;Bewerbung;arbeit;;;vielleicht;;31.02.2026;;\n")
    rows = imports.parse(text.encode(), "csv")
    assert [(row.row, row.line) for row in rows] == [(1, 2), (2, 4), (3, 6)]
    first = rows[0].offer
    assert rows[0].valid and first is not None
    assert (first.title, first.fields, first.languages, first.target_groups) == (
        "Sprachcafé; für Mütter", ["sprache", "teilhabe"], ["ar", "de"], ["frauen"])
    assert (first.women_only, first.childcare, str(first.starts_on), str(first.ends_on), first.city) == (
        True, False, "2026-03-01", "2026-06-30", "Lüneburg")
    # the quoted line break was read as one cell (row 3 starts on line 6); a title is one line (mail subjects)
    assert errors_of(rows[1]) == {("offer", "title")} and "U+000A" in rows[1].errors[0]["msg"]
    assert errors_of(rows[2]) == {("offer", "women_only"), ("offer", "starts_on")}


def test_csv_with_commas_and_a_delete_column():
    text = "external_id,delete,title,fields\nk-1,ja,,\nk-2,nein,Deutschkurs,sprache\nk-3,kaputt,,\n"
    rows = imports.parse(text.encode(), "csv")
    assert rows[0].valid and rows[0].delete
    assert rows[1].valid and rows[1].offer.title == "Deutschkurs"
    assert errors_of(rows[2]) == {("delete",), ("offer", "title"), ("offer", "fields")}


def test_csv_rows_with_the_wrong_number_of_cells_are_rejected_alone():
    rows = imports.parse(b"external_id;title;fields\nk-1;Deutschkurs;sprache\nk-2;Deutschkurs\n", "csv")
    assert rows[0].valid
    assert rows[1].external_id == "k-2" and rows[1].errors[0]["loc"] == ["row"]
    assert "2 cells, the header has 3" in rows[1].errors[0]["msg"]


@pytest.mark.parametrize(("text", "loc"), [
    ("", ["header"]),
    ("title;fields\nx;sprache\n", ["header", "external_id"]),
    ("external_id;titel\nx;y\n", ["header", "titel"]),
    ("external_id;title;title\nx;y;z\n", ["header", "title"]),
])
def test_a_bad_csv_header_refuses_the_whole_file(text, loc):
    with pytest.raises(imports.ImportFileError) as refused:
        imports.parse(text.encode(), "csv")
    assert refused.value.loc == loc


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(imports.ImportFileError, match="not UTF-8"):
        imports.parse("external_id;title\nk;Größe\n".encode("cp1252"), "csv")


@pytest.mark.parametrize("file_format", ["jsonl", "csv"])
def test_more_rows_than_the_limit_are_refused_before_validation(file_format):
    if file_format == "jsonl":
        body = jsonl(*({"external_id": f"k-{n}", "delete": True} for n in range(11))) + b"\n\n"
    else:
        body = ("external_id;delete\n" + "".join(f"k-{n};ja\n" for n in range(11)) + "\n;\n").encode()
    assert len(imports.parse(body, file_format, max_rows=11)) == 11  # blank lines and empty rows do not count
    with pytest.raises(imports.TooManyRows, match="more than 10 rows"):
        imports.parse(body, file_format, max_rows=10)


def test_content_types():
    assert imports.format_of("application/x-ndjson") == "jsonl"
    assert imports.format_of("application/jsonl; charset=utf-8") == "jsonl"
    assert imports.format_of("Text/CSV; charset=\"UTF-8\"") == "csv"
    for refused in (None, "", "application/json", "text/plain", "text/csv; charset=iso-8859-1"):
        assert imports.format_of(refused) is None


def test_csv_column_kinds_follow_the_offer_body():
    assert imports.LIST_FIELDS == {"fields", "languages", "target_groups"}
    assert imports.BOOL_FIELDS == {"women_only", "childcare"}
    assert imports.DATE_FIELDS == {"starts_on", "ends_on"}
    assert "accessible" not in imports.BOOL_FIELDS, "accessible is ja/nein/unbekannt text, not a boolean"


def test_csv_empty_languages_and_costs_cells_mean_not_given():
    text = "external_id;title;fields;languages;costs\nvhs-9;Sprachcafé;sprache;;\n"
    rows = imports.parse(text.encode(), "csv")
    assert rows[0].valid and rows[0].offer is not None
    assert rows[0].offer.languages is None, "an empty cell means 'not given': unknown, never German"
    assert rows[0].offer.costs is None, "an empty cell means 'not given': unknown, never free"
