"""The platform as real processes for benchmarks, started by the code `make run` uses
(localrun.Platform), on free loopback ports, on SQLite or on fresh PostgreSQL databases."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from localrun.__main__ import Platform, listening, ready, wait_until
from npa.infrastructure.settings import DEFAULT_PORTS
from tests.support.databases import PORT as POSTGRES_PORT
from tests.support.databases import postgres_database
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-admin-token"


class Stack:
    """Broker, SMTP sink (bench.support.sink) and services; `urls[name]` is each service's base URL."""

    def __init__(self, folder: Path, database_urls: dict[str, str], extra_env: dict[str, str] | None = None,
                 code_root: Path = ROOT) -> None:
        self.folder = folder
        self.code_root = code_root
        self.database_urls = dict(database_urls)
        self.smtp_port = free_port()
        self.bootstrap = f"127.0.0.1:{free_port()}"
        self.ports = {name: free_port() for name in DEFAULT_PORTS}
        env = {
            "NPA_VAR_DIR": str(folder / "var"), "NPA_KAFKA_BOOTSTRAP": self.bootstrap, "NPA_ADMIN_TOKEN": TOKEN,
            "NPA_SECRET_KEY": "bench-secret", "NPA_SMTP_HOST": "127.0.0.1", "NPA_SMTP_PORT": str(self.smtp_port),
            "PYTHONPATH": str(code_root),
            # the benchmarks subscribe many addresses from one client on purpose (ADR 20)
            "NPA_NOTIFICATIONS_SUBSCRIBE_LIMIT_PER_CLIENT": "0/3600", **(extra_env or {}),
        }
        for name, port in self.ports.items():
            env[f"NPA_{name.upper()}_PORT"] = str(port)
            env[f"NPA_PUBLIC_BASE_URL_{name.upper()}"] = f"http://127.0.0.1:{port}"
        for name, url in database_urls.items():
            env[f"NPA_{name.upper()}_DATABASE_URL"] = url
        self._saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        self.platform = Platform()
        self.mail = folder / "mail"
        self.sink: subprocess.Popen | None = None

    @property
    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}

    def start(self, services: tuple[str, ...] = tuple(DEFAULT_PORTS)) -> float:
        """Starts everything; returns the seconds until every service answered /readyz."""
        started = time.monotonic()
        self.sink = subprocess.Popen([sys.executable, "-m", "bench.support.sink", str(self.smtp_port), str(self.mail)],
                                     cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        wait_until(lambda: listening("127.0.0.1", self.smtp_port), 30, "SMTP sink", {"sink": self.sink})
        self.platform.start_broker()
        for name in services:
            self._spawn(name, name, {})
        for name in services:
            url = self.urls[name]
            wait_until(lambda url=url: ready(f"{url}/readyz"), 180, f"{name} service", self.platform.services)
        return time.monotonic() - started

    def _spawn(self, name: str, label: str, env: dict[str, str]) -> subprocess.Popen:
        return self.platform.spawn(label, [sys.executable, "-m", f"services.{name}"], restart=False,
                                   env={**os.environ, **env}, cwd=self.code_root)

    def start_service(self, name: str) -> subprocess.Popen:
        """(Again) the first replica of a service on its own port, until it is ready."""
        process = self._spawn(name, name, {})
        wait_until(lambda: ready(f"{self.urls[name]}/readyz"), 180, name, {name: process})
        return process

    def spawn_service(self, name: str, label: str, port: int) -> subprocess.Popen:
        """Another replica of a service on its own port (same database and consumer group)."""
        process = self._spawn(name, label, {f"NPA_{name.upper()}_PORT": str(port)})
        wait_until(lambda: ready(f"http://127.0.0.1:{port}/readyz"), 180, label, {label: process})
        return process

    def cpu_seconds(self, infrastructure: bool = False) -> dict[str, float]:
        """CPU time (user + system) used so far by each service process (with `infrastructure`:
        the broker and the SMTP sink too): unlike rates, it hardly depends on what else the
        shared machine is doing."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        processes = dict(self.platform.services)
        if infrastructure:
            processes.update(self.platform.infrastructure)
            if self.sink is not None:
                processes["smtp-sink"] = self.sink
        for label, process in processes.items():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                used[label] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return used

    def stop(self) -> None:
        self.platform.stop()
        if self.sink is not None and self.sink.poll() is None:
            self.sink.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.sink.wait(10)
            if self.sink.poll() is None:
                self.sink.kill()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def running_stack(backend: str, services: tuple[str, ...] = tuple(DEFAULT_PORTS),
                  extra_env: dict[str, str] | None = None, code_root: Path = ROOT,
                  postgres_port: int = POSTGRES_PORT) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="npa-bench-") as scratch, contextlib.ExitStack() as databases:
        folder = Path(scratch)
        urls = {}
        for name in services:
            urls[name] = (databases.enter_context(postgres_database(f"npa_bench_{name}", postgres_port)) if backend == "postgresql"
                          else f"sqlite:///{folder}/var/{name}.db")
        stack = Stack(folder, urls, extra_env, code_root)
        try:
            stack.start(services)
            yield stack
        finally:
            stack.stop()
