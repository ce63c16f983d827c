"""Benchmark: POST /api/verify/{token} through Envoy against >= 1,000,000 products, next to a baseline.

    .venv/bin/python bench/scan_verify.py [--products 1000000[,10000000]] [--duration 10] [--connections 16]
                                          [--rate 500[,250]] [--scan-processes 1]

Everything runs on loopback in a directory of its own: an embedded PostgreSQL seeded with
generate_series, an embedded Redis, the scan service (--scan-processes processes, each an endpoint of Envoy's
scan cluster, as `make up REPLICAS_SCAN=N` runs it) and one Envoy rendered from the gateway template.
Load: wrk (Debian package `wrk`) with a Lua script that sends a different real token on each request,
closed loop for throughput; then paced connections offering about --rate requests/s for the p99.
With several --products sizes the same services are measured at each size in turn (the database grows
between them), so 1M and 10M products are compared in one run on the same machine state.
Baseline, through the same Envoy, service and interceptors: GET /v1/ledger/checkpoint (one indexed
PostgreSQL read, no Redis: the cheapest REST call of the scan service).
Ledger cost (docs/ledger.md): at the largest size, verify throughput with the ledger's sealer, checkpoints
and scan receipts (LEDGER_TRANSPARENCY on, as deployed) against the same service restarted without them,
in the order on, off, on; the ratio is off against the mean of the two "on" runs.
"""

import argparse
import asyncio
import base64
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import psutil

from devmesh.mesh import (
    BODY_LIMIT,
    IMPORT_LIMIT,
    ROOT,
    Child,
    EmbeddedPostgres,
    EmbeddedRedis,
    envoy_child,
    free_port,
    wait_until,
)
from voketag import migrations
from voketag.tokens import KeyRing

BATCH = 1_000_000  # batches.quantity is at most 1,000,000
SAMPLE = 20_000  # distinct tokens the load cycles through
PACED_CONNECTIONS = 50
WRK_SCRIPT = """
local tokens = {}
local pause = 0
local body = '{"location": {"countryCode": "DE"}}'
local headers = {["content-type"] = "application/json"}
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  pause = tonumber(args[2])
end
function delay()
  return pause
end
request = function()
  if #tokens == 0 then return wrk.format("GET", "/v1/ledger/checkpoint") end
  return wrk.format("POST", "/api/verify/" .. tokens[math.random(#tokens)], headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


async def seed(url: str, first: int, last: int) -> None:
    """Products with serials first..last (a batch per million), migrating the database on the first call."""
    conn = await asyncpg.connect(url)
    try:
        await migrations.migrate(conn)
        factory = await conn.fetchval(
            "INSERT INTO factories (id, name) VALUES (gen_random_uuid(), 'bench') RETURNING id"
        )
        for start in range(first, last + 1, BATCH):
            size = min(BATCH, last + 1 - start)
            batch = await conn.fetchval(
                """INSERT INTO batches (id, factory_id, sku, product_line, product_name, quantity, key_id)
                   VALUES (gen_random_uuid(), $1, 'SKU-B', 'Bench', 'Bench product', $2, 1) RETURNING id""",
                factory,
                size,
            )
            await conn.execute(
                """INSERT INTO products (id, batch_id, serial, leaf_index)
                   SELECT gen_random_uuid(), $1, $2 + i, i FROM generate_series(0, $3 - 1) AS i""",
                batch,
                start,
                size,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def cpu_seconds(processes: dict[str, psutil.Process]) -> dict[str, float]:
    """CPU time (user + system) used so far by each process and its children; "wrk" = this run's waited children."""
    totals = {}
    for name, process in processes.items():
        total = 0.0
        for member in [process, *process.children(recursive=True)]:
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        totals[name] = total
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals["wrk"] = usage.ru_utime + usage.ru_stime
    return totals


def wrk(
    base: str,
    script: Path,
    tokens: Path | None,
    duration: int,
    connections: int,
    processes: dict[str, psutil.Process],
    pause_ms: int = 0,
) -> dict:
    """One wrk run; ``pause_ms`` > 0 paces each connection (a steady rate instead of as fast as possible).

    Also returns the CPU milliseconds per request that each process spent during the run.
    """
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script), base, "--"]
    argv += [str(tokens or "/dev/null"), str(pause_ms)]
    before = cpu_seconds(processes)
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    after = cpu_seconds(processes)
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    count, seconds, p50, p95, p99, errors = line.split()[1:]
    return {
        "rps": int(count) / float(seconds),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "errors": int(errors),
        "cpu_ms": {name: (after[name] - before[name]) * 1000 / max(1, int(count)) for name in after},
    }


def cpu_total(result: dict) -> float:
    return sum(result["cpu_ms"].values())


def show(name: str, result: dict) -> None:
    print(
        f"  {name:<28} {result['rps']:>8.0f} req/s   p50 {result['p50']:6.2f} ms   p95 {result['p95']:6.2f} ms"
        f"   p99 {result['p99']:6.2f} ms   errors {result['errors']:.0f}",
        flush=True,
    )
    cpu = "   ".join(f"{name} {ms:.2f}" for name, ms in result["cpu_ms"].items())
    print(f"  {'':<28} CPU ms/request: {cpu}   total {cpu_total(result):.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="1000000", help="sizes, comma-separated, ascending")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (closed loop)")
    parser.add_argument("--rate", default="500", help="requests/s of the paced runs, comma-separated")
    parser.add_argument("--scan-processes", type=int, default=1, help="scan service processes behind Envoy")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.products.split(","))
    rates = [int(rate) for rate in args.rate.split(",")]
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    # SIGTERM (e.g. from `timeout`) unwinds through `finally`, which stops every child this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    work = Path(tempfile.mkdtemp(prefix="voketag-bench-scan-"))
    work.chmod(0o755)  # pgserver runs PostgreSQL as its own user
    children: list[Child] = []
    postgres = EmbeddedPostgres(work / "postgres")
    kv = EmbeddedRedis(work / "redis", free_port())
    try:
        keys = {"1": base64.b64encode(os.urandom(32)).decode()}
        ring = KeyRing.from_config(keys, 1)
        script = work / "verify.lua"
        script.write_text(WRK_SCRIPT)
        token_file = work / "tokens.txt"
        asyncio.run(seed(postgres.url, 1, 1))  # the schema, before the service starts
        grpc_ports, port = [free_port() for _ in range(args.scan_processes)], free_port()
        unlimited = json.dumps({"rate_per_s": 1_000_000, "burst": 1_000_000})
        env = {
            **os.environ,
            "DATABASE_URL": postgres.url,
            "REDIS_URL": kv.url,
            "TOKEN_KEYS": json.dumps(keys),
            # One load generator is one client: lift the per-client limits (the limiter still runs).
            "LIMIT_IP": unlimited,
            "LIMIT_DEVICE": unlimited,
            "LIMIT_CODE": unlimited,
        }

        def scan_child(index: int, transparency: bool = True) -> Child:
            own = {"GRPC_PORT": str(grpc_ports[index]), "METRICS_PORT": str(free_port())}
            own["LEDGER_TRANSPARENCY"] = str(transparency).lower()
            return Child(f"scan{index}", [sys.executable, "-m", "scan_svc"], {**env, **own}, work / f"scan{index}.log")

        scans = [scan_child(index) for index in range(args.scan_processes)]
        values: dict[str, str | int] = {
            "listen_port": port,
            "admin_port": free_port(),
            "descriptor": str(ROOT / "gateway" / "voketag.binpb"),
            "body_limit": BODY_LIMIT,
            "import_limit": IMPORT_LIMIT,
            "cors_origin": f"http://localhost:{port}",
            **{f"{name}_host": "127.0.0.1" for name in ("scan", "factory", "admin", "anchor")},
            "scan_port": grpc_ports[0],
            "scan_endpoints": ",".join(f"127.0.0.1:{grpc_port}" for grpc_port in grpc_ports),
            "factory_port": free_port(),
            "admin_port_svc": free_port(),
            "anchor_port": free_port(),
        }
        envoy = envoy_child(work, "envoy", values)
        children += [*scans, envoy]
        for child in children:
            child.start()
        base = f"http://127.0.0.1:{port}"
        first = ring.issue(1)

        def ready() -> bool:
            try:
                return httpx.post(f"{base}/api/verify/{first}", json={}, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, 60, "scan service behind Envoy")
        data_dir = str(work / "postgres")
        postmaster = next(
            process
            for process in psutil.process_iter(["name", "cmdline"])
            if process.info["name"] == "postgres" and data_dir in " ".join(process.info["cmdline"] or [])
        )
        processes = {
            "envoy": psutil.Process(envoy.pid),
            **{scan.name: psutil.Process(scan.pid) for scan in scans},
            "postgres": postmaster,
            "redis": psutil.Process(kv.child.pid),
        }
        seeded = 1
        summary = []
        for size in sizes:
            started = time.perf_counter()
            asyncio.run(seed(postgres.url, seeded + 1, size))
            seeded = size
            print(f"\n{size:,} products (seeded in {time.perf_counter() - started:.1f} s)", flush=True)
            serials = random.sample(range(1, size + 1), SAMPLE)
            token_file.write_text("\n".join(ring.issue(serial) for serial in serials) + "\n")
            wrk(base, script, token_file, 3, args.connections, processes)  # warm-up: pool connections, caches
            print(f"closed loop (wrk, {args.connections} connections, {args.duration} s each):")
            baseline = wrk(base, script, None, args.duration, args.connections, processes)
            show("baseline GetLedgerCheckpoint", baseline)
            verify = wrk(base, script, token_file, args.duration, args.connections, processes)
            show("verify", verify)
            print(f"  throughput ratio verify/baseline: {verify['rps'] / baseline['rps']:.2f}")
            cpu_ratio = cpu_total(verify) / cpu_total(baseline)
            print(f"  CPU per request ratio verify/baseline: {cpu_ratio:.2f}")
            for rate in rates:
                # PACED_CONNECTIONS connections, each pausing so that together they offer about `rate` req/s.
                pause_ms = max(1, round(PACED_CONNECTIONS * 1000 / rate))
                print(f"paced at about {rate} req/s ({PACED_CONNECTIONS} connections, {pause_ms} ms apart each):")
                paced_base = wrk(base, script, None, args.duration, PACED_CONNECTIONS, processes, pause_ms)
                show("baseline GetLedgerCheckpoint", paced_base)
                paced = wrk(base, script, token_file, args.duration, PACED_CONNECTIONS, processes, pause_ms)
                show("verify", paced)
                print(f"  p99 ratio verify/baseline: {paced['p99'] / paced_base['p99']:.2f}")
                summary.append((size, rate, verify["rps"] / baseline["rps"], cpu_ratio, paced, paced_base))
        print(f"\nledger cost at {sizes[-1]:,} products (closed loop, {args.duration} s each, service restarted):")
        with_ledger: list[float] = []
        without: list[float] = []
        for transparency in (True, False, True):
            for index, scan in enumerate(scans):
                scan.stop()
                scans[index] = children[index] = scan_child(index, transparency)
                scans[index].start()
                processes[scan.name] = psutil.Process(scans[index].pid)
            wait_until(ready, 60, "scan service behind Envoy")
            wrk(base, script, token_file, 3, args.connections, processes)  # warm-up after the restart
            result = wrk(base, script, token_file, args.duration, args.connections, processes)
            show(f"verify, ledger {'on' if transparency else 'off'}", result)
            (with_ledger if transparency else without).append(result["rps"])
        ledger_ratio = (sum(with_ledger) / len(with_ledger)) / without[0]
        print(f"  throughput ratio ledger on/off: {ledger_ratio:.3f} (the budget is >= 0.95)")
        print("\nsummary: products, offered req/s, throughput and CPU ratios, paced verify req/s, p99 and p99 ratio")
        for size, rate, ratio, cpu_ratio, paced, paced_base in summary:
            print(
                f"  {size:>12,}  {rate:>5}  {ratio:.2f}  {cpu_ratio:.2f}  {paced['rps']:6.0f} req/s"
                f"  p99 {paced['p99']:7.2f} ms  {paced['p99'] / paced_base['p99']:.2f}"
            )
        print(f"  ledger on/off throughput ratio at {sizes[-1]:,} products: {ledger_ratio:.3f}")
    finally:
        for child in reversed(children):
            child.stop()
        kv.stop()
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
