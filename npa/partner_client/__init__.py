"""Partner client of NIEDERSACHSEN PACKT AN: publish offer changes onto `npa.partner.offers.v1`.

    from npa.partner_client import PartnerClient, SigningKey, iter_jsonl

    key = SigningKey.from_file("partner.key")  # `npa-partner keygen` writes it
    with PartnerClient("p-123", "127.0.0.1:9092", signing_key=key) as client:
        client.upsert("kurs-17", {"title": "Deutschkurs A1", "fields": ["sprache"], "district": "03241"})
        report = client.publish(iter_jsonl(open("offers.jsonl", encoding="utf-8")))
    print(report.summary())          # sent 41, invalid 1, failed 0

The command line is `npa-partner` (or `python -m npa.partner_client`); see
docs/partner-client.md. `lines` holds the JSON-lines format, shared with the offers
service's bulk import; `client` builds the CloudEvents envelopes and sends them.
"""

from npa.partner_client.client import PartnerClient, PublishReport, deleted, fast_checksums, upserted
from npa.contracts.partner_lines import OfferLine, ParsedLine, iter_jsonl, validate_line
from npa.contracts.signatures import SigningKey

__all__ = ["OfferLine", "ParsedLine", "PartnerClient", "PublishReport", "SigningKey", "deleted", "fast_checksums",
           "iter_jsonl", "upserted", "validate_line"]
