"""A PostgreSQL server of its own for a fault scenario: initdb into a scratch folder, started on a
free loopback port, stopped and removed afterwards.

The scenarios that restart or stop PostgreSQL (4 and 8) do it to this server, not to the
machine's cluster on 127.0.0.1:5432: that one serves every other database on the host (a
developer's, the test suite's), and restarting it needs root or its owner (pg_ctlcluster).
Same binaries and defaults as the machine's (initdb's: max_connections 100, shared_buffers
128 MB, fsync on), C.UTF-8, trust authentication for `postgres` on loopback and its socket.

PostgreSQL refuses to run as root: as root the server runs as the `postgres` user, which owns
the folder.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import free_port


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:  # often a link (Debian: /usr/local/bin → /usr/lib/postgresql/<version>/bin), initdb beside the target
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name))
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries (pg_ctl, initdb): install Debian's postgresql")
    return Path(versions[-1])


@dataclass
class PrivatePostgres:
    folder: Path
    port: int
    bindir: Path
    owner: str | None  # the user the server runs as when this process is root

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def run_as_owner(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", self.owner, "--"] if self.owner else []
        # Output to a file, not a pipe: a server started by pg_ctl would hold the pipe open.
        with open(self.folder / "pg_ctl.log", "a+") as output:
            done = subprocess.run([*prefix, *command], stdout=output, stderr=subprocess.STDOUT, timeout=timeout)
        if done.returncode != 0:
            said = "".join(path.read_text(errors="replace")[-1500:] for path in
                           (self.folder / "pg_ctl.log", self.folder / "server.log") if path.exists())
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{said}")

    def control(self, action: str, mode: str = "fast") -> None:
        """`start`, `stop` (`mode` fast: sessions are cut) or `restart` (both); waits until done."""
        if action not in ("start", "stop", "restart"):
            raise ValueError(f"unknown action {action!r}")
        pg_ctl, data = str(self.bindir / "pg_ctl"), str(self.data)
        if action in ("stop", "restart"):
            self.run_as_owner(pg_ctl, "-D", data, "-m", mode, "-w", "stop")
        if action in ("start", "restart"):
            self.run_as_owner(pg_ctl, "-D", data, "-l", str(self.folder / "server.log"), "-w", "start", "-o",
                              f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    owner = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="npa-faults-pg-"))
    if owner:
        account = pwd.getpwnam(owner)
        os.chown(folder, account.pw_uid, account.pw_gid)
    server = PrivatePostgres(folder, free_port(), _bindir(), owner)
    try:
        server.run_as_owner(str(server.bindir / "initdb"), "-D", str(server.data), "-U", "postgres",
                            "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        server.control("start")
        try:
            yield server
        finally:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                server.control("stop", mode="immediate")  # the folder goes: nothing to write back
    finally:
        shutil.rmtree(folder, ignore_errors=True)
