"""Keeps the local mesh's children alive: a child that exits is started again, with backoff, and the
others keep serving. Only Ctrl-C or SIGTERM of the runner stops the mesh (devmesh.mesh.main)."""

import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Child(Protocol):
    """What the supervisor needs of a child process (devmesh.mesh.Child)."""

    process: subprocess.Popen[bytes] | None
    log_path: Path

    @property
    def running(self) -> bool: ...

    @property
    def pid(self) -> int: ...

    def start(self) -> None: ...


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.5
    max_s: float = 30.0
    # A child that ran this long before it died counts as a new failure, not as one more of a crash loop.
    stable_s: float = 60.0


@dataclass
class _Watch:
    started_at: float
    failures: int = 0
    restarts: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        children: Mapping[str, Child],
        backoff: Backoff = Backoff(),
        clock: Callable[[], float] = time.monotonic,
        report: Callable[[str], None] = lambda line: print(line, flush=True),
    ) -> None:
        self._children = children
        self._backoff = backoff
        self._clock = clock
        self._report = report
        now = clock()
        self._watches = {name: _Watch(started_at=now) for name in children}

    def poll(self) -> None:
        """Notice children that died and restart those whose backoff is over; call it periodically."""
        now = self._clock()
        for name, child in self._children.items():
            watch = self._watches[name]
            if child.running:
                continue
            if watch.restart_at is None:
                ran_s = now - watch.started_at
                watch.failures = 0 if ran_s >= self._backoff.stable_s else watch.failures + 1
                delay = min(self._backoff.first_s * 2 ** max(watch.failures - 1, 0), self._backoff.max_s)
                watch.restart_at = now + delay
                code = child.process.returncode if child.process else None
                self._report(
                    f"{name} exited ({code}) after {ran_s:.1f} s; restarting in {delay:.1f} s; see {child.log_path}"
                )
            elif now >= watch.restart_at:
                child.start()
                watch.started_at, watch.restart_at = now, None
                watch.restarts += 1
                self._report(f"{name} restarted (pid {child.pid}, restart {watch.restarts})")

    def restarts(self, name: str) -> int:
        return self._watches[name].restarts
