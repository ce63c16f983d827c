"""voketag-mesh supervises: a SIGKILLed service is started again (with backoff, logged) while the others keep
serving; only SIGTERM / Ctrl-C of the runner stops the mesh."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import psutil

from devmesh.mesh import free_port
from devmesh.supervise import Backoff, Supervisor
from tests.scan.conftest import Catalog
from voketag.tokens import KeyRing

from .conftest import read_log, wait_for


def _children(runner: psutil.Process) -> dict[str, int]:
    """The runner's service, worker and Envoy processes by name (scan, factory, ..., worker, envoy)."""
    found = {}
    for child in runner.children():
        line = " ".join(child.cmdline())
        for name in ("scan", "factory", "admin", "anchor"):
            if f"-m {name}_svc" in line:
                found[name] = child.pid
        if "dramatiq" in line:
            found["worker"] = child.pid
        elif "envoy" in Path(child.cmdline()[0]).name:
            found["envoy"] = child.pid
    return found


async def _product_token(database_url: str, keys: dict[str, str]) -> str:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=2) as pool:
        return str((await Catalog(pool, KeyRing.from_config(keys, 1)).product())["token"])


def test_a_killed_service_is_restarted_and_the_rest_keeps_serving(tmp_path: Path, deps: dict[str, str]) -> None:
    port, state = free_port(), tmp_path / "mesh"
    state.mkdir()
    out = tmp_path / "runner.log"
    with out.open("wb") as sink:
        runner = subprocess.Popen(
            [sys.executable, "-m", "devmesh.mesh", "--port", str(port), "--state-dir", str(state)],
            env={**os.environ, **deps},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    gateway = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert runner.poll() is None, read_log(out)
            return "VokeTag mesh is up" in read_log(out)

        wait_for(up, 120, "the mesh")
        keys = json.loads((state / "token-keys.json").read_text())
        token = asyncio.run(_product_token(deps["DATABASE_URL"], keys))
        verify = f"{gateway}/api/verify/{token}"
        assert httpx.post(verify, json={}, timeout=15).status_code == 200

        before = _children(psutil.Process(runner.pid))
        assert set(before) == {"scan", "factory", "admin", "anchor", "worker", "envoy"}, before
        os.kill(before["scan"], signal.SIGKILL)
        killed_at = time.monotonic()

        def verify_answers() -> bool:
            try:
                return httpx.post(verify, json={}, timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(lambda: "scan restarted" in read_log(out), 60, "the restart of scan")
        wait_for(verify_answers, 60, "verify after the restart")
        print(f"\nscan SIGKILLed: verify answered again after {time.monotonic() - killed_at:.1f} s")

        after = _children(psutil.Process(runner.pid))
        assert after["scan"] != before["scan"]
        assert {name: pid for name, pid in after.items() if name != "scan"} == {
            name: pid for name, pid in before.items() if name != "scan"
        }
        assert "scan exited (-9)" in read_log(out)
        assert runner.poll() is None
    finally:
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(60)
    assert code == 0
    assert "stopped" in read_log(out)
    alive = [pid for pid in after.values() if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert alive == []


@dataclass
class FakeChild:
    """A child whose death and start the test controls."""

    running: bool = True
    starts: int = 0
    process: None = None
    log_path: Path = Path("child.log")
    pid: int = 1

    def start(self) -> None:
        self.running = True
        self.starts += 1


def test_a_crash_loop_backs_off_and_a_stable_child_starts_over() -> None:
    now = [0.0]
    child = FakeChild()
    lines: list[str] = []
    supervisor = Supervisor({"scan": child}, Backoff(first_s=1, max_s=4, stable_s=10), lambda: now[0], lines.append)

    def crash_and_restart() -> float:
        """Kill the child, advance the clock until it is started again; return the delay it waited."""
        child.running = False
        supervisor.poll()
        died = now[0]
        while not child.running:
            now[0] += 0.5
            supervisor.poll()
        return now[0] - died

    assert [crash_and_restart() for _ in range(4)] == [1, 2, 4, 4]
    now[0] += 10
    assert crash_and_restart() == 1
    assert supervisor.restarts("scan") == child.starts == 5
    assert any("scan exited" in line for line in lines) and any("scan restarted" in line for line in lines)
