"""The fault suite (`make faults`, issue 10): real processes, the real broker, a real SMTP
server (aiosmtpd), SQLite and PostgreSQL. Each scenario starts a fresh platform, drives a
steady stream of partner offers against confirmed subscribers, injects its fault and checks
every offer and every expected mail:

  1  broker paused (SIGSTOP) for 60 s, resumed; then SIGKILLed and restarted empty
  2  notifications SIGKILLed mid fan-out (10 offers × 300 subscribers) and restarted
  3  SMTP server down for 60 s
  4  PostgreSQL restarted under load (every service on PostgreSQL, on a server of the scenario's
     own: bench/support/private_postgres.py; the machine's cluster on 127.0.0.1:5432 is not touched)
  5  poison messages on every consumed topic, interleaved with good ones
  6  two replicas of offers and of notifications, one of each SIGKILLed
  7  forged partner messages for B's offer (signed by A, unsigned, altered, unknown key) amid a
     steady stream of good signed offers of A and B on the partner topic: parked on .dlq, none applied
  8  PostgreSQL (a server of its own, as in 4) stopped for 20 s mid fan-out (10 offers × 300 subscribers), then started: the
     mails accepted meanwhile are recorded, none sent again after its lease

    .venv/bin/python bench/faults.py [--quick] [--only 1,3] [--backend sqlite|postgresql]

--quick shortens the faults (10 s instead of 60 s) and the fan-out (10 offers × 100). The
table: scenario, events sent, applied, mails expected, received (distinct), duplicates, lost,
time to recover (from the end of the fault to the last expected mail). Exit status 1 on any
loss, on more duplicates than the scenario's bound (0, or where a sender is killed ADR 8's
unrecorded limit plus connections: 32 + 4 = 36 under the suite's settings, 48 with the
defaults), on a forged change applied, or on a scenario that could not run.
"""

import argparse
import asyncio
import logging
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import fault_forged, fault_poison, fault_scenarios  # noqa: E402
from bench.support.fault_harness import Row  # noqa: E402
from bench.support.fault_scenarios import Options  # noqa: E402

SCENARIOS = {
    1: fault_scenarios.broker_paused_then_killed,
    2: fault_scenarios.notifications_killed,
    3: fault_scenarios.smtp_down,
    4: fault_scenarios.postgres_restarted,
    5: fault_poison.poison_messages,
    6: fault_scenarios.replicas_killed,
    7: fault_forged.forged_partner_message,
    8: fault_scenarios.postgres_away_mid_fanout,
}
HEADER = ("scenario", "sent", "applied", "mails exp.", "received", "dupl.", "bound", "lost", "recover s", "ok")


def table(rows: list[Row]) -> str:
    lines = [HEADER]
    for row in rows:
        lines.append((row.scenario, str(row.sent), str(row.applied), str(row.mails_expected), str(row.received),
                      str(row.duplicates), str(row.bound), str(row.lost), f"{row.recover_seconds:.1f}",
                      "yes" if row.ok else "NO"))
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADER))]
    out = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                     for column, (cell, width) in enumerate(zip(line, widths, strict=True))) for line in lines]
    out.insert(1, "-" * len(out[0]))
    notes = [f"  {row.scenario.split()[0]}: {row.note}" + "".join(f"\n     FAILED: {f}" for f in row.extra_failures)
             for row in rows if row.note or row.extra_failures]
    return "\n".join(out + ["", "notes:", *notes])


async def run(numbers: list[int], options: Options) -> list[Row]:
    rows = []
    for number in numbers:
        started = time.monotonic()
        print(f"== scenario {number} …", flush=True)
        try:
            row = await SCENARIOS[number](options)
        except Exception as error:  # a scenario that cannot finish is a failure, with its cause
            traceback.print_exc()
            row = Row(f"{number} {SCENARIOS[number].__name__}", note="did not finish")
            row.extra_failures.append(f"{type(error).__name__}: {error}")
        print(f"   {'ok' if row.ok else 'FAILED'} in {time.monotonic() - started:.0f} s: {row}", flush=True)
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 s faults, 10 offers × 100 subscribers")
    parser.add_argument("--only", default="", help="scenario numbers, e.g. 1,3")
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"),
                        help="databases of scenarios other than 4 and 8 (which always use PostgreSQL)")
    parser.add_argument("--fault-seconds", type=float, default=None)
    parser.add_argument("--keep-logs", default="", help="copy each scenario's service logs into this folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    options = Options(backend=args.backend, keep_logs=args.keep_logs)
    if args.quick:
        options = Options(backend=args.backend, keep_logs=args.keep_logs, fault_seconds=10, fanout_subscribers=100,
                          settle_seconds=3)
    if args.fault_seconds is not None:
        options = Options(**{**options.__dict__, "fault_seconds": args.fault_seconds})
    numbers = [int(n) for n in args.only.split(",") if n.strip()] or list(SCENARIOS)
    started = time.monotonic()
    rows = asyncio.run(run(numbers, options))
    print()
    print(table(rows))
    print(f"\n{len(rows)} scenarios in {time.monotonic() - started:.0f} s "
          f"({'quick' if args.quick else 'full'}, {options.backend}).")
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
