"""Idle memory (RSS) of each service and the worker, the way `make up` starts them.

    .venv/bin/python bench/idle_memory.py [--settle 20]

Starts embedded PostgreSQL, Redis and anvil and the mesh (devmesh.mesh.Mesh: `python -m <svc>` per service,
`python -m dramatiq ...` for the worker, Envoy), waits until Envoy's /health answers and then --settle seconds
more with no traffic, and prints the resident set size of every process. The baseline, started alongside the
same way, is a bare `python -c "import asyncio, grpc"` process: what any gRPC service costs before its own code.
The worker row is its largest process (the dramatiq worker process that imports the actors); its supervisor
process is shown after it.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psutil

from devmesh.mesh import Child, Mesh, free_port, start_dependencies

MIB = 1 << 20
BASELINE = "import asyncio, time, grpc; time.sleep(3600)"


def tree_rss(pid: int) -> list[int]:
    """RSS of a process and its descendants, parent first."""
    root = psutil.Process(pid)
    return [process.memory_info().rss for process in [root, *root.children(recursive=True)]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=20, help="seconds to wait idle after /health is 200")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voketag-idle-") as tmp:
        state_dir = Path(tmp)
        (state_dir / "logs").mkdir()
        urls, deps = start_dependencies(state_dir)
        mesh = Mesh(state_dir, urls["DATABASE_URL"], urls["REDIS_URL"], urls["ETH_RPC_URL"], free_port())
        baseline = Child("baseline", [sys.executable, "-c", BASELINE], {}, state_dir / "logs" / "baseline.log")
        try:
            baseline.start()
            mesh.start()
            time.sleep(args.settle)
            base = tree_rss(baseline.pid)[0]
            print(f"{'process':<10} {'RSS MiB':>8} {'over baseline':>14}")
            print(f"{'baseline':<10} {base / MIB:>8.1f} {0:>14.1f}")
            for name in (n for n in mesh.children if n != "envoy"):
                sizes = tree_rss(mesh.children[name].pid)
                rss = max(sizes)
                print(f"{name:<10} {rss / MIB:>8.1f} {(rss - base) / MIB:>14.1f}")
                if len(sizes) > 1:
                    print(f"{'  (parent)':<10} {sizes[0] / MIB:>8.1f}")
        finally:
            baseline.stop()
            mesh.stop()
            for dep in reversed(deps):
                dep.stop()


if __name__ == "__main__":
    main()
