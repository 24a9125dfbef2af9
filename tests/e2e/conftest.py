"""The four services as real processes on free ports, with the real broker and SMTP server."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.processes import free_port
from tests.support.services import ADMIN_TOKEN, ROOT

SERVICES = ("actors", "offers", "notifications", "reports")


@dataclass
class RunningPlatform:
    bootstrap: str
    urls: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in sorted(self.logs.glob("*.log"))
        )


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def platform(kafka_bootstrap, smtp_sink, tmp_path) -> Iterator[RunningPlatform]:  # noqa: ANN001
    ports = {name: free_port() for name in SERVICES}
    env = {
        **os.environ,
        "NPA_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NPA_ADMIN_TOKEN": ADMIN_TOKEN,
        "NPA_SECRET_KEY": "e2e-secret",
        "NPA_SMTP_HOST": "127.0.0.1",
        "NPA_SMTP_PORT": str(smtp_sink.port),
        "NPA_MAIL_FROM": "alerts@niedersachsen-packt-an.test",
        "NPA_VAR_DIR": str(tmp_path / "var"),
    }
    for name, port in ports.items():
        env[f"NPA_{name.upper()}_PORT"] = str(port)
        env[f"NPA_{name.upper()}_DATABASE_URL"] = f"sqlite:///{tmp_path}/{name}.db"
        env[f"NPA_PUBLIC_BASE_URL_{name.upper()}"] = f"http://127.0.0.1:{port}"
    running = RunningPlatform(kafka_bootstrap, {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}, tmp_path / "logs")
    running.logs.mkdir()
    for name in SERVICES:
        log = open(running.logs / f"{name}.log", "wb")  # noqa: SIM115
        running.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 90
        while not all(_ready(url) for url in running.urls.values()):
            exited = {n: p.returncode for n, p in running.processes.items() if p.poll() is not None}
            if exited or time.monotonic() > deadline:
                pytest.fail(f"services not ready (exited: {exited})\n{running.log_tail()}")
            time.sleep(0.2)
        yield running
    finally:
        for process in running.processes.values():
            process.terminate()
        for name, process in running.processes.items():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail(f"{name} did not stop within 20 s of SIGTERM")
