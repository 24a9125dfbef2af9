"""The event pipeline end to end, with real processes started by the code of `make run`
(Tansu broker, the four services, an SMTP sink process), on SQLite and on PostgreSQL.

Prints, beside baselines measured in the same run (these machines are shared: compare ratios):
- ingest:   partner offer messages produced as fast as possible → offers applied and their
            `de.npa.offer.published` on npa.offers.v1, per second; a bare FastStream subscriber
            (pydantic model, same messages) on the same broker, run before and after the pipeline;
            the ratio to their mean.
- steady:   offers at a steady rate to confirmed immediate subscribers (4 per field) → partner
            publish to SMTP accept p50/p95/p99; a raw aiokafka hop at the same rate; then, the
            pipeline idle, raw aiosmtplib's rate into the same sink beside the mails/s the rate needs.
- both print CPU per offer of each service, the broker and the SMTP sink, and how many of the
  machine's cores were busy meanwhile (every process, the benchmark's own included); steady also
  their sum, and how many cores the rate asks for at that cost.
- replay:   `npa-reports rebuild` into a fresh database of the backend, events/s; a raw aiokafka
            read of the same topics. It replays what the sections before it left on the topics;
            run alone (`--sections replay`), it first produces bench/replay.py's history.
- replicas: PostgreSQL, two offers processes in one consumer group and database, one SIGKILLed
            halfway → events published, duplicate publishes, lost, offers out of order.

    .venv/bin/python bench/pipeline.py [--quick] [--backends sqlite,postgresql] [--ingest 20000]
        [--steady-rate 200] [--steady-seconds 60] [--replica-offers 10000] [--code DIR]

`--code DIR` runs the services of another checkout (e.g. a worktree of an older commit) with
this benchmark, for before/after figures.
"""

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import replay as replay_history  # noqa: E402
from bench.support import baselines, sections, traffic  # noqa: E402
from bench.support.stack import TOKEN, running_stack  # noqa: E402
from services.notifications.config import SenderPolicy  # noqa: E402


def pct(values: list[float]) -> str:
    return " / ".join(f"{traffic.percentile(values, share):.0f}" for share in (0.5, 0.95, 0.99))


def busy(result: dict) -> str:
    """The whole machine meanwhile (every process, this benchmark's own included)."""
    return f"; machine busy {result['busy_cores']:.2f} of {os.cpu_count()} cores"


async def run_backend(backend: str, options: argparse.Namespace, code: Path) -> None:
    print(f"\n== {backend}", flush=True)
    wanted = set(options.sections.split(","))
    with running_stack(backend, code_root=code, extra_env=dict(item.split("=", 1) for item in options.env)) as stack:
        partner = traffic.register_partner(stack.urls, TOKEN)
        if "ingest" in wanted:
            # The bare subscriber runs before and after the pipeline: on a shared machine its rate
            # moved by half between runs minutes apart (3,290–5,421 msg/s on 2026-12-02), so the
            # ratio is taken to the mean of the two that bracket the pipeline's run.
            before = await sections.faststream_rate(stack.bootstrap, options.ingest)
            result = await sections.ingest(stack, partner, options.ingest)
            after = await sections.faststream_rate(stack.bootstrap, options.ingest)
            print(f"ingest   {result['published']:,}/{result['messages']:,} offers published in "
                  f"{result['seconds']:.1f} s: {result['rate']:,.0f} offers/s (produced at "
                  f"{result['produce_rate']:,.0f}/s) | bare FastStream {before:,.0f} before, {after:,.0f} after "
                  f"msg/s | ratio {result['rate'] / ((before + after) / 2):.2f}", flush=True)
            print("         CPU per offer " + ", ".join(f"{name} {seconds * 1000 / result['messages']:.2f} ms"
                                                     for name, seconds in sorted(result["cpu"].items()))
                  + busy(result), flush=True)
        if "steady" in wanted:
            subscribers = traffic.subscribe_confirmed(stack.urls, stack.mail, per_field=4)
            hop = await baselines.hop_latencies(stack.bootstrap, options.steady_rate, min(20.0, options.steady_seconds))
            result = await sections.steady(stack, partner, options.steady_rate, options.steady_seconds, 4)
            print(f"steady   {result['offers']:,} offers at {options.steady_rate:.0f}/s to {subscribers} subscribers: "
                  f"{result['mails']:,}/{result['mails_expected']:,} mails, sustained {result['sustained']:,.0f} "
                  f"offers/s, publish→SMTP accept p50/p95/p99 {pct(result['latencies'])} ms | raw aiokafka hop "
                  f"{pct(hop)} ms", flush=True)
            print(f"         of which partner publish→offer event p50/p95/p99 {pct(result['to_published'])} ms, "
                  f"offer event→SMTP accept {pct(result['to_accepted'])} ms", flush=True)
            cpu = result["cpu"]
            print("         CPU per offer " + ", ".join(f"{name} {seconds * 1000 / result['offers']:.2f} ms"
                                                     for name, seconds in sorted(cpu.items()))
                  + f"; notifications per mail {cpu.get('notifications', 0) * 1000 / max(1, result['mails']):.2f} ms"
                  + busy(result), flush=True)
            per_offer = sum(cpu.values()) * 1000 / result["offers"]  # what the rate asks of the cores, whoever runs
            print(f"         all of them {per_offer:.2f} ms per offer: {options.steady_rate:.0f} offers/s need "
                  f"{per_offer * options.steady_rate / 1000:.2f} cores of this machine's {os.cpu_count()}"
                  + (" (PostgreSQL's server not counted)" if backend == "postgresql" else ""), flush=True)
            connections = SenderPolicy().connections
            raw = await baselines.raw_smtp_rate(stack.smtp_port, 4000, connections)
            print(f"         SMTP: {options.steady_rate:.0f} offers/s × 4 readers needs {options.steady_rate * 4:,.0f} "
                  f"mails/s; raw aiosmtplib, prebuilt bytes over {connections} connections into the same sink, "
                  f"the pipeline idle: {raw:,.0f} mails/s", flush=True)
        if "replay" in wanted:
            if not wanted & {"ingest", "steady"}:  # nothing on the topics yet: bench/replay.py's history
                messages = replay_history.history(options.replay_offers)
                await replay_history.produce(stack.bootstrap, messages)
                await sections.settled(stack)
                print(f"replay   history of bench/replay.py ({options.replay_offers:,} offers): {len(messages):,} "
                      "events produced, the live services settled", flush=True)
            result = await sections.replay(stack, str(code), backend)
            print(f"replay   {result['records']:,} events in {result['seconds']:.1f} s: {result['rate']:,.0f} "
                  f"events/s | raw aiokafka read {result['raw_rate']:,.0f} records/s | ratio "
                  f"{result['rate'] / result['raw_rate']:.2f}", flush=True)


async def run_replicas(options: argparse.Namespace, code: Path) -> None:
    print("\n== replicas (postgresql)", flush=True)
    with running_stack("postgresql", services=("actors", "offers"), code_root=code) as stack:
        result = await sections.replicas(stack, options.replica_offers)
        print(f"replicas {result['expected']:,} events expected ({options.replica_offers:,} offers × 2 versions), "
              f"one of two offers processes SIGKILLed after {result['killed_after']:,}: published "
              f"{result['published']:,}, duplicate publishes {result['duplicate_publishes']}, duplicate effects "
              f"{result['duplicate_effects']}, lost {result['lost']}, offers out of order "
              f"{result['out_of_order_offers']}", flush=True)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # a stopped stack's clients complain at length
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--ingest", type=int, default=20_000)
    parser.add_argument("--steady-rate", type=float, default=200.0)
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--replica-offers", type=int, default=10_000)
    parser.add_argument("--skip-replicas", action="store_true")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose services run (default: this one)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the services, e.g. NPA_CONSUMER_MAX_BATCH=200 (repeatable)")
    parser.add_argument("--sections", default="ingest,steady,replay", help="which sections to run per backend")
    parser.add_argument("--replay-offers", type=int, default=27_000,
                        help="replay alone (no ingest or steady before it): offers of bench/replay.py's history "
                             "produced first (~3 events each)")
    options = parser.parse_args()
    if options.quick:
        options.ingest, options.steady_seconds, options.replica_offers = 2000, 10.0, 1000
    for backend in options.backends.split(","):
        asyncio.run(run_backend(backend, options, options.code.resolve()))
    if not options.skip_replicas:
        asyncio.run(run_replicas(options, options.code.resolve()))


if __name__ == "__main__":
    main()
