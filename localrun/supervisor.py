"""The processes `make run` starts: each restarted with backoff when it dies, all stopped once.

A child that exits while the platform runs is started again after 1, 2, 4 … 30 s (back to 1 s
once it has stayed up for a minute), and the supervisor says so on its output. Children run
in their own sessions, so a signal to the terminal's or `make`'s process group reaches only
the supervisor, which then stops them in order; on Linux each child also gets SIGTERM from the
kernel should the supervisor itself be killed (PR_SET_PDEATHSIG), so none is left behind.
"""

import ctypes
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from npa.infrastructure.backoff import Backoff

STABLE_SECONDS = 60.0  # a child up this long counts as recovered: its next restart waits 1 s again
RESTART_BACKOFF = Backoff(base_seconds=1.0, max_seconds=30.0, jitter=0.0)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the supervisor's own stop() is the only way


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen
    restart: bool = True  # False: started by someone who looks after it (benchmarks, fault suite)
    started_at: float = field(default_factory=time.monotonic)
    failures: int = 0
    due_at: float | None = None  # when a dead child is started again


class Supervisor:
    def __init__(self, env: dict[str, str], logs: Path, *, say: Callable[[str], None] | None = None,
                 backoff: Backoff = RESTART_BACKOFF) -> None:
        self.env = env
        self.logs = logs
        self.children: dict[str, Child] = {}
        self.restarts: dict[str, int] = {}
        self._backoff = backoff
        self._say = say or (lambda line: print(line, flush=True))
        self.stopped = False

    def spawn(self, name: str, command: list[str], *, restart: bool = True, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115  (the child holds it; closed with the process)
        try:
            process = subprocess.Popen(command, env={**self.env, **(env or {})}, cwd=cwd, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        finally:
            log.close()
        previous = self.children.get(name)
        child = Child(name, command, process, restart)
        if previous is not None:
            child.failures = previous.failures
        self.children[name] = child
        return process

    def running(self, name: str) -> bool:
        child = self.children.get(name)
        return child is not None and child.process.poll() is None

    def watch(self, on_restart: Callable[[str], None] | None = None) -> None:
        """One look at every child: a dead one is announced and, when its backoff is over, restarted."""
        now = time.monotonic()
        for child in list(self.children.values()):
            if self.stopped or not child.restart or child.process.poll() is None:
                continue
            if child.due_at is None:
                if now - child.started_at >= STABLE_SECONDS:
                    child.failures = 0
                child.failures += 1
                delay = self._backoff.delay(child.failures)
                child.due_at = now + delay
                self._say(f"{child.name} exited with code {child.process.returncode}; "
                          f"restarting in {delay:.0f} s (restart {child.failures}, log {self.logs}/{child.name}.log)")
                continue
            if now >= child.due_at:
                process = self.spawn(child.name, child.command)
                self.restarts[child.name] = self.restarts.get(child.name, 0) + 1
                self._say(f"{child.name} restarted (pid {process.pid})")
                if on_restart is not None:
                    on_restart(child.name)

    def stop(self, order: list[list[str]], grace_seconds: float = 15.0) -> None:
        """SIGTERM to each group of children in turn (services before the broker), SIGKILL after
        `grace_seconds`; idempotent."""
        self.stopped = True
        for names in order:
            group = [self.children[name].process for name in names if name in self.children]
            for process in group:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace_seconds
            for process in group:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
