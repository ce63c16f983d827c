"""Idle memory (RSS) of each service and the worker, the way `make up` starts them.

    .venv/bin/python bench/idle_memory.py [--settle 20] [--cold]

Starts embedded PostgreSQL, Redis and anvil and the mesh (devmesh.mesh.Mesh: `python -m <svc>` per service,
`python -m dramatiq ...` for the worker, Envoy), waits until Envoy's /health answers and then --settle seconds
more with no traffic, and prints the resident set size of every process. The baseline, started alongside the
same way, is a bare `python -c "import asyncio, grpc"` process: what any gRPC service costs before its own code.
The worker row is its largest process (the dramatiq worker process that imports the actors); its supervisor
process is shown after it.

RSS counts the pages of shared libraries a process has mapped, and how many of them a page fault maps depends on
what the page cache holds (the kernel maps cached neighbours of the faulting page too): the same processes showed
5 MiB more, the baseline included, right after pip had written the libraries than once they were read back from
disk. --cold first drops the virtual environment's shared objects from the page cache (as after a reboot, or in a
container started from its image), so that two runs compare.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

MIB = 1 << 20
BASELINE = "import asyncio, time, grpc; time.sleep(3600)"


def tree_rss(pid: int) -> list[int]:
    """RSS of a process and its descendants, parent first."""
    import psutil

    root = psutil.Process(pid)
    return [process.memory_info().rss for process in [root, *root.children(recursive=True)]]


def drop_cached_libraries(root: Path) -> int:
    """Evict the shared objects under ``root`` from the page cache; pages a running process maps stay."""
    dropped = 0
    for path in root.rglob("*.so*"):
        if not path.is_file():
            continue
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)
        dropped += 1
    return dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=20, help="seconds to wait idle after /health is 200")
    parser.add_argument("--cold", action="store_true", help="drop the venv's shared objects from the page cache first")
    args = parser.parse_args()
    if args.cold:
        print(f"dropped {drop_cached_libraries(Path(sys.prefix))} shared objects of {sys.prefix} from the page cache")
    # Imported after the drop: the libraries this process maps itself (cryptography through voketag.auth) would
    # otherwise stay cached the way it read them.
    from devmesh.mesh import Child, Mesh, free_port, start_dependencies

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
