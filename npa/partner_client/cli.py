"""`npa-partner`: publish a partner's offers from a JSON-lines file, or withdraw offers.

    npa-partner keygen --out partner.key
    npa-partner publish offers.jsonl --partner-id P --bootstrap host:9092 --key-file partner.key
    npa-partner delete kurs-9 kurs-10 --partner-id P --bootstrap host:9092 --key-file partner.key
    npa-partner publish offers.jsonl --partner-id P --bootstrap host:9093 \\
        --security-protocol SASL_SSL --sasl-mechanism SCRAM-SHA-512 \\
        --sasl-username P --sasl-password-env NPA_KAFKA_PASSWORD

`publish` reads the bulk import's JSON-lines format (`-` reads standard input), validates
every line locally, sends the valid ones and prints `sent N, invalid N, failed N`; each
invalid line is printed with its line number and field on standard error and not sent.
With `--api-url` (env NPA_OFFERS_URL) and the partner's API key (env NPA_PARTNER_API_KEY),
`publish` and `delete` then wait up to `--wait` seconds for the offers service's verdict and
print `applied N, refused N, unconfirmed N`, each refused line with its reason. `status` lists
the partner's offers by status and its refused messages.
Exit status: 0 all sent (and applied, when asked), 1 some lines invalid, not acknowledged,
refused or unconfirmed, 2 wrong usage.

Every message is signed with the partner's Ed25519 key (`--key-file`, env NPA_PARTNER_KEY_FILE;
ADR 0013). `keygen` writes a new private key (mode 0600) and prints its public key and id,
to be registered with `POST /api/v1/partners/{partner_id}/signing-keys`.
"""

import argparse
import os
import sys
from collections.abc import Sequence

from npa.contracts.partner_lines import describe, iter_jsonl, validate_line
from npa.contracts.signatures import SigningKey, public_key_text

DEFAULT_BOOTSTRAP_ENV = "NPA_KAFKA_BOOTSTRAP"


class UsageError(Exception):
    """Wrong or missing options (exit status 2)."""


def _connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partner-id", default=os.environ.get("NPA_PARTNER_ID"),
                        help="your partner id (from POST /api/v1/partners); env NPA_PARTNER_ID")
    parser.add_argument("--key-file", default=os.environ.get("NPA_PARTNER_KEY_FILE"), metavar="PATH",
                        help="the partner's Ed25519 private key (PEM, from `npa-partner keygen`) that signs "
                             "every message; env NPA_PARTNER_KEY_FILE")
    parser.add_argument("--bootstrap", default=os.environ.get(DEFAULT_BOOTSTRAP_ENV),
                        help=f"Kafka bootstrap servers host:port[,host:port]; env {DEFAULT_BOOTSTRAP_ENV}")
    parser.add_argument("--security-protocol", default="PLAINTEXT",
                        choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"])
    parser.add_argument("--sasl-mechanism", choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
    parser.add_argument("--sasl-username")
    parser.add_argument("--sasl-password-env", metavar="VAR",
                        help="name of the environment variable that holds the SASL password "
                             "(never pass a password on the command line)")
    parser.add_argument("--compression", choices=["gzip", "snappy", "lz4", "zstd"],
                        help="compress batches (gzip needs nothing extra)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the acknowledgements")
    _api_options(parser)
    parser.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                        help="with --api-url: how long to wait for the offers service to apply or refuse what was "
                             "sent (0: do not ask)")


def _api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-url", default=os.environ.get("NPA_OFFERS_URL"),
                        help="the offers service, e.g. https://angebote.example; env NPA_OFFERS_URL")
    parser.add_argument("--api-key-env", default="NPA_PARTNER_API_KEY", metavar="VAR",
                        help="environment variable holding the partner's API key (default NPA_PARTNER_API_KEY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="npa-partner", description="Publish offer changes of a partner system "
                                     "onto npa.partner.offers.v1 (NIEDERSACHSEN PACKT AN).")
    commands = parser.add_subparsers(dest="command", required=True)
    publish = commands.add_parser("publish", help="send the offers of a JSON-lines file")
    publish.add_argument("file", help='JSON lines: {"external_id": …, "offer": {…}} or {"external_id": …, '
                                      '"delete": true}; "-" reads standard input')
    publish.add_argument("--dry-run", action="store_true", help="only validate; send nothing")
    _connection_options(publish)
    delete = commands.add_parser("delete", help="withdraw offers by their external ids")
    delete.add_argument("external_ids", nargs="+", metavar="EXTERNAL_ID")
    _connection_options(delete)
    status = commands.add_parser("status", help="the partner's offers by status and its refused messages "
                                 "with the reason (asks the offers service)")
    status.add_argument("--partner-id", default=os.environ.get("NPA_PARTNER_ID"), help="env NPA_PARTNER_ID")
    status.add_argument("--limit", type=int, default=20, help="refused messages to show, newest first")
    _api_options(status)
    keygen = commands.add_parser("keygen", help="create a signing key pair: the private key into a file, "
                                 "the public key to register printed")
    keygen.add_argument("--out", required=True, metavar="PATH", help="file for the private key (created 0600; "
                        "an existing file is never overwritten)")
    return parser


def _client(args: argparse.Namespace):  # noqa: ANN202
    from npa.partner_client.client import PartnerClient, fast_checksums

    if not fast_checksums():
        print("warning: the crc32c package is missing; kafka-python checksums run in pure Python "
              "(pip install crc32c)", file=sys.stderr)
    if not args.partner_id or not args.bootstrap:
        raise UsageError("--partner-id and --bootstrap are needed (or NPA_PARTNER_ID and NPA_KAFKA_BOOTSTRAP)")
    if not args.key_file:
        raise UsageError("--key-file is needed (or NPA_PARTNER_KEY_FILE): every message is signed; "
                         "`npa-partner keygen --out FILE` creates a key")
    try:
        signing_key = SigningKey.from_file(args.key_file)
    except (ValueError, TypeError) as problem:
        raise UsageError(f"{args.key_file}: not an unencrypted Ed25519 private key in PEM ({problem})") from problem
    password = None
    if args.sasl_mechanism:
        if not args.sasl_username or not args.sasl_password_env:
            raise UsageError("--sasl-mechanism needs --sasl-username and --sasl-password-env")
        password = os.environ.get(args.sasl_password_env)
        if not password:
            raise UsageError(f"the environment variable {args.sasl_password_env} is not set")
    return PartnerClient(args.partner_id, args.bootstrap.split(","), signing_key=signing_key,
                         security_protocol=args.security_protocol,
                         sasl_mechanism=args.sasl_mechanism, sasl_username=args.sasl_username,
                         sasl_password=password, compression_type=args.compression)


def _publish(args: argparse.Namespace) -> int:
    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8-sig")  # noqa: SIM115
    with stream:
        if args.dry_run:
            lines = list(iter_jsonl(stream))
            invalid = [line for line in lines if not line.valid]
            for line in invalid:
                print(f"line {line.line}: {describe(line.errors)}", file=sys.stderr)
            print(f"valid {len(lines) - len(invalid)}, invalid {len(invalid)} (dry run: nothing sent)")
            return 1 if invalid else 0
        with _client(args) as client:
            report = client.publish(iter_jsonl(stream), timeout=args.timeout)
    for problem in report.problems():
        print(problem, file=sys.stderr)
    print(report.summary())
    confirmed = _outcomes(args, report.sent_ids, "line")
    return 0 if report.ok and confirmed else 1


def _api_key(args: argparse.Namespace) -> str | None:
    return os.environ.get(args.api_key_env) or None


def _outcomes(args: argparse.Namespace, sent: list[tuple[int, str]], what: str) -> bool:
    """Ask the offers service what became of the messages sent; False if one was refused or
    not confirmed in time (printed with its line and reason)."""
    from npa.partner_client.outcomes import StatusUnavailable, wait_for_outcomes

    key = _api_key(args)
    if not sent or args.wait <= 0:
        return True
    if not args.api_url or not key:
        print(f"note: not checked whether the offers service applied them; give --api-url (NPA_OFFERS_URL) and "
              f"the API key in {args.api_key_env}", file=sys.stderr)
        return True
    try:
        outcomes = wait_for_outcomes(args.api_url, args.partner_id, key, [event_id for _, event_id in sent],
                                     args.wait)
    except StatusUnavailable as problem:
        print(f"npa-partner: cannot ask the offers service: {problem}", file=sys.stderr)
        return False
    counts = {"applied": 0, "refused": 0, "unknown": 0}
    for number, event_id in sent:
        outcome = outcomes[event_id]
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
        if outcome.state == "refused":
            print(f"{what} {number}: refused: {outcome.reason}", file=sys.stderr)
        elif outcome.state == "unknown":
            print(f"{what} {number}: not confirmed within {args.wait:g} s (event {event_id})", file=sys.stderr)
    print(f"applied {counts['applied']}, refused {counts['refused']}, unconfirmed {counts['unknown']}")
    return counts["refused"] == 0 and counts["unknown"] == 0


def _status(args: argparse.Namespace) -> int:
    from npa.partner_client.outcomes import StatusUnavailable, offer_count, refusals

    key = _api_key(args)
    if not args.partner_id or not args.api_url or not key:
        raise UsageError(f"--partner-id, --api-url (NPA_OFFERS_URL) and the API key in {args.api_key_env} are needed")
    try:
        counts = offer_count(args.api_url, args.partner_id, key)
        refused = refusals(args.api_url, args.partner_id, key, args.limit)
    except StatusUnavailable as problem:
        print(f"npa-partner: cannot ask the offers service: {problem}", file=sys.stderr)
        return 1
    print("offers: " + (", ".join(f"{status} {count}" for status, count in sorted(counts.items())) or "none"))
    print(f"refused messages (newest {args.limit}): {len(refused) or 'none'}")
    for item in refused:
        sender = "" if item["authenticated"] else " [not signed by you]"
        print(f"  {item['parked_at']}  {item['external_id'] or '-'}  {item['type'] or '-'}{sender}: {item['reason']}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    lines = [validate_line({"external_id": external_id, "delete": True}, row=number, line=number)
             for number, external_id in enumerate(args.external_ids, start=1)]
    with _client(args) as client:
        report = client.publish(lines, timeout=args.timeout)
    for problem in report.problems():
        print(problem.replace("line", "argument", 1), file=sys.stderr)
    print(report.summary())
    confirmed = _outcomes(args, report.sent_ids, "argument")
    return 0 if report.ok and confirmed else 1


def _keygen(args: argparse.Namespace) -> int:
    key = SigningKey.generate()
    try:
        descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as problem:
        raise UsageError(f"{args.out} exists; choose another file (a key is never overwritten)") from problem
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.pem())
    public = public_key_text(key.public_key)
    print(f"private key: {args.out} (keep it secret; mode 0600)")
    print(f"key id:      {key.key_id}")
    print(f"public key:  {public}")
    print("register it (admin token or the partner's API key):")
    print(f"  curl -X POST $OFFERS/api/v1/partners/$PARTNER_ID/signing-keys -H \"Authorization: Bearer $KEY\" "
          f"-H 'Content-Type: application/json' -d '{{\"public_key\": \"{public}\"}}'")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from kafka.errors import KafkaError

    args = build_parser().parse_args(argv)
    try:
        commands = {"publish": _publish, "delete": _delete, "keygen": _keygen, "status": _status}
        return commands[args.command](args)
    except UsageError as problem:
        print(f"npa-partner: {problem}", file=sys.stderr)
        return 2
    except FileNotFoundError as problem:
        print(f"npa-partner: {problem.filename}: no such file", file=sys.stderr)
        return 2
    except KafkaError as problem:
        print(f"npa-partner: Kafka at {args.bootstrap}: {problem!r}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
