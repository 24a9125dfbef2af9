"""`python -m localrun` (what `make run` starts) as a real process tree: a killed service and a
killed broker come back by themselves, and a signal to the whole process group stops
everything once, without a traceback."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from npa.infrastructure.topics_admin import platform_topics
from tests.support.processes import free_port
from tests.support.services import ROOT

SERVICES = ("actors", "offers", "notifications", "reports")


class Output:
    """The supervisor's combined output, read on a thread so the pipe never fills."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            self.text += line

    def wait_for(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            assert time.monotonic() < deadline, f"{needle!r} not in the output:\n{self.text[-3000:]}"
            time.sleep(0.2)


def children_of(pid: int) -> dict[int, str]:
    """Processes whose parent is `pid`: their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def pid_of(pid: int, marker: str) -> int:
    return next(child for child, command in children_of(pid).items() if marker in command)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def broker_topics(bootstrap: str) -> set[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    async def read() -> set[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        await admin.start()
        try:
            return set(await admin.list_topics())
        finally:
            await admin.close()

    try:
        return asyncio.run(read())
    except Exception:
        return set()


def test_make_run_restarts_what_dies_and_stops_on_a_group_signal(tmp_path: Path) -> None:
    ports = {name: free_port() for name in SERVICES}
    bootstrap = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "NPA_VAR_DIR": str(tmp_path / "var"), "NPA_KAFKA_BOOTSTRAP": bootstrap,
           "NPA_SMTP_HOST": "127.0.0.1", "NPA_SMTP_PORT": str(free_port()), "NPA_MAIL_SINK_PORT": str(free_port()),
           "NPA_KAFKA_TOPIC_CHECK_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
    for name, port in ports.items():
        env[f"NPA_{name.upper()}_PORT"] = str(port)
        env.pop(f"NPA_{name.upper()}_DATABASE_URL", None)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    supervisor = subprocess.Popen([sys.executable, "-m", "localrun"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = Output(supervisor)
    started: dict[int, str] = {}
    try:
        output.wait_for("local platform is running", 240)
        started = children_of(supervisor.pid)
        assert len(started) == 6, started  # broker, mail sink, four services

        # A service killed with SIGKILL is started again, and says so.
        os.kill(pid_of(supervisor.pid, "services.offers"), signal.SIGKILL)
        output.wait_for("offers exited with code -9; restarting in 1 s", 10)
        output.wait_for("offers restarted", 10)
        output.wait_for("offers is ready again", 120)
        assert ready(urls["offers"])

        # The broker killed: a new one starts empty; the services re-create their topics.
        os.kill(pid_of(supervisor.pid, "broker --listener-url"), signal.SIGKILL)
        output.wait_for("broker exited with code -9; restarting", 10)
        output.wait_for("broker restarted", 10)
        deadline = time.monotonic() + 30
        while not set(platform_topics()) <= broker_topics(bootstrap):
            assert time.monotonic() < deadline, f"topics missing: {set(platform_topics()) - broker_topics(bootstrap)}"
            time.sleep(0.5)
        for name, url in urls.items():
            deadline = time.monotonic() + 30
            while not ready(url):
                assert time.monotonic() < deadline, f"{name} not ready after the broker came back"
                time.sleep(0.5)
        everything = children_of(supervisor.pid)
        assert len(everything) == 6, everything

        # SIGTERM to the whole process group (what `kill -TERM -- -PGID` does to `make run`).
        os.killpg(os.getpgid(supervisor.pid), signal.SIGTERM)
        assert supervisor.wait(60) == 0
        time.sleep(0.5)
        assert output.text.count("Stopping (SIGTERM)") == 1, output.text[-3000:]
        assert output.text.count("All processes stopped.") == 1
        assert "Traceback" not in output.text, output.text
        assert not [pid for pid in {**started, **everything} if alive(pid)]
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        for pid in {**started, **children_of(supervisor.pid)}:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_sigint_to_the_supervisor_alone_stops_everything(tmp_path: Path) -> None:
    """Ctrl-C while the services are still starting: stops at once, once, without a traceback."""
    env = {**os.environ, "NPA_VAR_DIR": str(tmp_path / "var"), "NPA_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
           "NPA_SMTP_HOST": "127.0.0.1", "NPA_SMTP_PORT": str(free_port()), "NPA_MAIL_SINK_PORT": str(free_port()),
           "PYTHONUNBUFFERED": "1"}
    for name in SERVICES:
        env[f"NPA_{name.upper()}_PORT"] = str(free_port())
        env.pop(f"NPA_{name.upper()}_DATABASE_URL", None)
    supervisor = subprocess.Popen([sys.executable, "-m", "localrun"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = Output(supervisor)
    deadline = time.monotonic() + 60
    while len(children := children_of(supervisor.pid)) < 6:
        assert time.monotonic() < deadline, output.text
        time.sleep(0.1)
    supervisor.send_signal(signal.SIGINT)
    assert supervisor.wait(60) == 0
    time.sleep(0.5)
    assert output.text.count("Stopping (SIGINT)") == 1, output.text
    assert "Traceback" not in output.text, output.text
    assert not [pid for pid in children if alive(pid)]
