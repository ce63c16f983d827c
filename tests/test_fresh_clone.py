"""The README's two first steps, exactly as a new user runs them: clone, `make up`, Ctrl-C."""

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from devmesh.mesh import ROOT, free_port, gateway_status, port_open, wait_until

# Variables that would make the clone reuse this checkout's environment or external services.
FOREIGN = ("VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL", "ETH_RPC_URL", "PYTHONPATH", "MESH_PORT")


@pytest.mark.fresh_clone
@pytest.mark.timeout(1200)
def test_make_up_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "voketag"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(ROOT)))
    # Installing is part of `make up`; it runs first so that the one-minute start below is measured alone.
    subprocess.run(["make", "install"], cwd=clone, env=env, check=True, timeout=1000)
    port = free_port()
    log = (tmp_path / "make-up.log").open("wb")
    up = subprocess.Popen(
        ["make", "up", f"PORT={port}"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        # Up means: Envoy answers /health with 200 and the runner has printed where everything is.
        wait_until(
            lambda: gateway_status(port) == 200 and "VokeTag mesh is up" in (tmp_path / "make-up.log").read_text(),
            60,
            "the mesh started by `make up`",
        )
        page = httpx.get(f"http://127.0.0.1:{port}/r/ABC")
        assert page.headers["cache-control"] == "no-store"
        # `make up` built the console and Envoy serves it, deep links included.
        console = httpx.get(f"http://127.0.0.1:{port}/console/batches")
        assert console.status_code == 200 and console.headers["content-type"].startswith("text/html")
    finally:
        os.killpg(up.pid, signal.SIGINT)
        code = up.wait(60)
    # make itself dies of the SIGINT (-2) after its child, the mesh runner, has stopped everything.
    assert code in (0, -signal.SIGINT), (tmp_path / "make-up.log").read_text()
    output = (tmp_path / "make-up.log").read_text()
    assert "stopped" in output
    assert not port_open(port), "Envoy still listens after Ctrl-C"
    assert not list((clone / ".mesh" / "postgres").glob("postmaster.pid")), "embedded PostgreSQL still running"
