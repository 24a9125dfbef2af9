"""`npa-reports rebuild --database-url URL`: replay every consumed topic from the beginning
into a fresh read model (also `python -m services.reports.rebuild --database-url URL`).

Why a new database and not drop-and-recreate in place: the live read model keeps serving
(and stays as the fallback) while the new one fills; replaying thousands of events in one
transaction would hold locks against the running consumer for minutes (SQLite has one
writer); and the new model can be compared with the live one before anyone switches.

How it reads and applies: services/reports/replay.py. With `--processes N` (default 2; 1 on a one-core host) the
partitions are shared among N processes by their records (services/reports/replay_processes.py).

Cut-over: stop the reports service, run the rebuild (or run it while the service is up
and again, with `--resume`, after stopping it: the second pass only adds what arrived
meanwhile), point NPA_REPORTS_DATABASE_URL at the new database and start the service.
Its consumer group resumes from its own offsets; events the rebuild already applied are
duplicates for the new inbox and change nothing.
"""

import argparse
import asyncio
import logging
import os
import sys
import time

from aiokafka.errors import KafkaError
from sqlalchemy.engine import make_url

from npa.infrastructure.consumer import RetryPolicy
from npa.infrastructure.settings import KafkaSecurity, load_kafka_security
from services.reports.replay import BATCH_SIZE, PARALLEL, PLAINTEXT, RebuildResult, TargetNotFresh, prepare, replay_share
from services.reports.replay_processes import ReplayProcessFailed, rebuild_in_processes

__all__ = ["RebuildResult", "TargetNotFresh", "main", "rebuild"]

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"  # as in npa.infrastructure.settings
PROCESSES = min(2, os.cpu_count() or 1)  # the command's default: two where there are two cores (ADR 12, 2026-12-02)


async def rebuild(database_url: str, bootstrap: str, *, resume: bool = False, retry: RetryPolicy | None = None,
                  security: KafkaSecurity = PLAINTEXT, batch_size: int = BATCH_SIZE,
                  parallel: int = PARALLEL) -> RebuildResult:
    """The whole replay in this process (the command with `--processes 1`); `security`: how to
    reach a managed cluster (NPA_KAFKA_SECURITY_*, `load_kafka_security`)."""
    fresh = prepare(database_url, resume=resume)
    started = time.monotonic()
    result = await replay_share(database_url, bootstrap, fresh=fresh, retry=retry, security=security,
                                batch_size=batch_size, parallel=parallel)
    result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["rebuild"]:  # `npa-reports rebuild …`; rebuild is its only command so far
        arguments = arguments[1:]
    parser = argparse.ArgumentParser(
        prog="npa-reports rebuild",
        description="Replay every topic the reports service consumes, from the beginning, into a fresh read model.",
    )
    parser.add_argument("--database-url", required=True,
                        help="SQLAlchemy URL of the NEW read model (migrated here), e.g. sqlite:///var/reports-new.db")
    parser.add_argument("--bootstrap", default=None, help="Kafka bootstrap servers (default: NPA_KAFKA_BOOTSTRAP)")
    parser.add_argument("--resume", action="store_true",
                        help="continue into a target that already consumed events (replays are idempotent)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help=f"events per transaction (default {BATCH_SIZE:,}); memory holds up to one batch of "
                             "records per partition plus four batches")
    parser.add_argument("--processes", type=int, default=PROCESSES,
                        help=f"processes replaying side by side, each a share of the partitions (default {PROCESSES}); "
                             "1 replays in this process")
    options = parser.parse_args(arguments)
    if options.processes < 1:
        parser.error("--processes: give 1 or more")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Not load_settings(): it would generate secrets into var/ that a replay does not need.
    bootstrap = options.bootstrap or os.environ.get("NPA_KAFKA_BOOTSTRAP", "").strip() or DEFAULT_BOOTSTRAP
    target = make_url(options.database_url).render_as_string(hide_password=True)
    batch_size, security = max(1, options.batch_size), load_kafka_security()
    try:
        if options.processes > 1:
            result = rebuild_in_processes(options.database_url, bootstrap, processes=options.processes,
                                          resume=options.resume, security=security, batch_size=batch_size)
        else:
            result = asyncio.run(rebuild(options.database_url, bootstrap, resume=options.resume,
                                         security=security, batch_size=batch_size))
    except TargetNotFresh as error:
        print(f"npa-reports rebuild: {error}", file=sys.stderr)
        return 2
    except KafkaError as error:
        print(f"npa-reports rebuild: cannot read from Kafka at {bootstrap}: {error}", file=sys.stderr)
        return 1
    except ReplayProcessFailed as error:
        print(f"npa-reports rebuild: {error}; the target is as after an interrupted replay (--resume continues it)",
              file=sys.stderr)
        return 1
    # not_applied: logged with its reason; the live consumer parked those messages on .dlq already.
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items())) or "no events"
    print(f"rebuilt {target} from {bootstrap}: {result.records} records ({outcomes}) "
          f"over {len(result.end_offsets)} partitions in {result.seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
