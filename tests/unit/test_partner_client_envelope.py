"""The partner client's envelopes and command line, without a broker (sending is tested in integration)."""

import json

import pytest
from pydantic import ValidationError

from npa.contracts.envelope import CONTENT_TYPE, decode, encode
from npa.contracts.events import partner_offers as partner_events
from npa.partner_client import cli, deleted, fast_checksums, iter_jsonl, upserted
from npa.partner_client.client import PublishReport, headers_of

OFFER = {"title": "Deutschkurs A1", "fields": ["sprache"], "district": "03241"}


def test_an_upsert_is_the_envelope_design_md_describes():
    event = decode(encode(upserted("p-1", "kurs-17", OFFER)))
    assert (event.specversion, event.type, event.source, event.subject) == (
        "1.0", "de.npa.partner.offer.upserted", "/partners/p-1", "p-1:kurs-17")
    assert event.datacontenttype == "application/json"
    assert set(event.data) == {"partner_id", "external_id", "offer"}
    message = partner_events.PartnerOfferUpserted.model_validate(event.data)  # what the offers service reads
    assert (message.partner_id, message.external_id, message.offer.title) == ("p-1", "kurs-17", "Deutschkurs A1")
    assert dict(headers_of(event)) == {"content-type": CONTENT_TYPE.encode(), "ce_type": event.type.encode(),
                                       "ce_id": event.id.encode()}


def test_a_delete_carries_only_the_ids():
    event = deleted("p-1", "kurs-9")
    assert (event.type, event.subject, event.data) == (
        partner_events.DELETED, "p-1:kurs-9", {"partner_id": "p-1", "external_id": "kurs-9"})


def test_an_invalid_offer_or_id_is_refused_before_sending():
    with pytest.raises(ValidationError, match="offer.district"):
        upserted("p-1", "kurs-1", {**OFFER, "district": "99999"})
    with pytest.raises(ValidationError, match="external_id"):
        deleted("p-1", "kurs 1")


def test_a_report_names_line_and_field():
    lines = list(iter_jsonl(['{"external_id": "a", "offer": {"title": "Kurs", "fields": ["x"]}}']))
    report = PublishReport(sent=3, invalid=lines, failed=[(7, "KafkaTimeoutError()")])
    assert not report.ok and report.summary() == "sent 3, invalid 1, failed 1"
    assert report.problems()[0].startswith("line 1: offer.fields: Value error, unknown field of action ['x']")
    assert report.problems()[1] == "line 7: not sent: KafkaTimeoutError()"


def test_kafka_python_uses_the_c_checksums():
    assert fast_checksums(), "install crc32c beside kafka-python"


def test_dry_run_validates_without_a_broker(tmp_path, capsys):
    path = tmp_path / "offers.jsonl"
    path.write_text(json.dumps({"external_id": "a", "offer": OFFER}) + "\n\n"
                    + json.dumps({"external_id": "b", "offer": {**OFFER, "district": "1"}}) + "\n", encoding="utf-8")
    assert cli.main(["publish", str(path), "--dry-run"]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "valid 1, invalid 1 (dry run: nothing sent)"
    assert err.startswith("line 3: offer.district:")


def test_usage_errors_exit_with_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NPA_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("NPA_PARTNER_ID", raising=False)
    assert cli.main(["publish", str(tmp_path / "missing.jsonl"), "--partner-id", "p", "--bootstrap", "h:1"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert cli.main(["delete", "kurs-1"]) == 2
    assert "--partner-id and --bootstrap are needed" in capsys.readouterr().err
    monkeypatch.delenv("NPA_PARTNER_KEY_FILE", raising=False)
    assert cli.main(["delete", "kurs-1", "--partner-id", "p", "--bootstrap", "h:1"]) == 2
    assert "--key-file is needed" in capsys.readouterr().err
    assert cli.main(["keygen", "--out", str(tmp_path / "partner.key")]) == 0
    capsys.readouterr()
    assert cli.main(["keygen", "--out", str(tmp_path / "partner.key")]) == 2  # never overwritten
    assert "exists" in capsys.readouterr().err
    assert cli.main(["delete", "kurs-1", "--partner-id", "p", "--bootstrap", "h:1", "--key-file",
                     str(tmp_path / "partner.key"), "--sasl-mechanism",
                     "SCRAM-SHA-512", "--sasl-username", "p", "--sasl-password-env", "NPA_TEST_UNSET"]) == 2
    assert "NPA_TEST_UNSET is not set" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        cli.main(["publish"])
    assert stopped.value.code == 2
