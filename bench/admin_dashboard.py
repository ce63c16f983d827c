"""Dashboard and analytics latency through Envoy over a bulk-seeded scans table.

    .venv/bin/python bench/admin_dashboard.py [--scans 10000000] [--requests 200]

Starts embedded PostgreSQL and Redis on fresh state, applies the migrations and bulk-loads factories, batches,
products and scans with INSERT ... SELECT generate_series, the way an operator bulk-loads: foreign-key and
rollup triggers off (session_replication_role = replica), then the rollups are built once by the same backfill
statement migration 4002 runs. Then only the admin service and Envoy start (the scan service's ledger sealer
and the anchor worker would otherwise spend the machine on the 10,000,000 loaded rows while we measure), and
sequential REST calls are timed:
GetDashboard, GetAnalytics (30 and 90 days) and, as the baseline in the same run, GetFactory (one primary-key
lookup through the same Envoy -> gRPC -> asyncpg path). Prints p50/p95 of each and the ratio to the baseline.
"""

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from devmesh.mesh import EmbeddedPostgres, EmbeddedRedis, Mesh, free_port, wait_until
from voketag.auth import Role, TokenSigner
from voketag.migrations import migrate

FACTORIES, BATCHES_PER_FACTORY, PRODUCTS_PER_BATCH = 10, 100, 1000
CHUNK = 1_000_000
DAYS = 90
COUNTRIES = "ARRAY['DE','FR','US','CN','JP','GB','IT','ES','PL','NL','BR','IN','MX','CA','AU','KR','SE','CH','AT','BE',"
COUNTRIES += "'TR','ZA','NG','EG','AR','CL','TH','VN','ID','']"


async def seed(url: str, scans: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        factories = [uuid.uuid4() for _ in range(FACTORIES)]
        await conn.executemany(
            "INSERT INTO factories (id, name, code) VALUES ($1, $2, $3)",
            [(f, f"Factory {i}", f"F-{i}") for i, f in enumerate(factories)],
        )
        started = time.perf_counter()
        await conn.execute(
            """INSERT INTO batches (id, factory_id, sku, product_line, quantity, state, key_id, created_at, updated_at)
               SELECT gen_random_uuid(), ($1::uuid[])[1 + (i % $2::int)], 'SKU-' || i, 'Line ' || (i % 7), $3::int,
                      (ARRAY['CREATED','ANCHORING','ANCHORED','FAILED'])[1 + (i % 4)], 1,
                      now() - (i % $4::int) * interval '1 day', now() - (i % $4::int) * interval '1 day'
               FROM generate_series(0, $2::int * $5::int - 1) AS i""",
            factories, FACTORIES, PRODUCTS_PER_BATCH, DAYS, BATCHES_PER_FACTORY,
        )  # fmt: skip
        await conn.execute(
            """CREATE TEMP TABLE bench_batches AS
               SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, factory_id, created_at FROM batches"""
        )
        await conn.execute(
            """INSERT INTO products (id, batch_id, serial, leaf_index, created_at)
               SELECT gen_random_uuid(), b.id, 1000000000 + b.n * $1::int + j, j, b.created_at
               FROM bench_batches b, generate_series(0, $1::int - 1) AS j""",
            PRODUCTS_PER_BATCH,
        )
        await conn.execute(
            """CREATE TEMP TABLE bench_products AS
               SELECT row_number() OVER (ORDER BY p.serial) - 1 AS n, p.id, p.batch_id, b.factory_id
               FROM products p JOIN batches b ON b.id = p.batch_id"""
        )
        await conn.execute("CREATE UNIQUE INDEX ON bench_products (n)")
        catalog_s = time.perf_counter() - started
        products = await conn.fetchval("SELECT count(*) FROM bench_products")
        started = time.perf_counter()
        # The scan service creates months ahead only; the bulk load goes back DAYS days.
        await conn.execute("SELECT scans_add_partitions(now() - $1::int * interval '1 day', now())", DAYS)
        await conn.execute("SET session_replication_role = replica")
        for low in range(0, scans, CHUNK):
            high = min(scans, low + CHUNK)
            # About 2 % of scans are risky (>= 50), like a brand with a counterfeiting problem in a few markets.
            await conn.execute(
                f"""INSERT INTO scans (product_id, batch_id, factory_id, scanned_at, verdict, risk_score, device_hash,
                                       country)
                    SELECT p.id, p.batch_id, p.factory_id, s.at, s.verdict, s.risk, lpad(to_hex(s.i), 64, '0'),
                           ({COUNTRIES})[1 + s.i % 30]
                    FROM (SELECT i, now() - ((i * 104729) % ($3::int * 86400)) * interval '1 second' AS at,
                                 CASE WHEN i % 50 = 0 THEN 50 + i % 51 ELSE (i * 7919) % 50 END AS risk,
                                 CASE WHEN i % 50 = 0 THEN 'SUSPICIOUS' WHEN i % 97 = 0 THEN 'INVALID'
                                      WHEN i % 89 = 0 THEN 'REVOKED' ELSE 'AUTHENTIC' END AS verdict
                          FROM generate_series($1::bigint, $2::bigint - 1) AS i) s
                    JOIN bench_products p ON p.n = (s.i * 2654435761) % $4::bigint""",
                low, high, DAYS, products,
            )  # fmt: skip
            print(f"  seeded {high:,} scans ({time.perf_counter() - started:.0f} s)", flush=True)
        await conn.execute("SET session_replication_role = origin")
        await conn.execute("DO $$ BEGIN EXECUTE admin_scan_rollup_sql('scans'); END $$")
        await conn.execute("ANALYZE")
        print(f"seed: catalog {catalog_s:.0f} s, {scans:,} scans {time.perf_counter() - started:.0f} s", flush=True)
        return factories
    finally:
        await conn.close()


def measure(client: httpx.Client, path: str, n: int, **params: object) -> list[float]:
    client.get(path, params=params).raise_for_status()  # warm-up
    times = []
    for _ in range(n):
        started = time.perf_counter()
        reply = client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        reply.raise_for_status()
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="voketag-bench-admin-"))
    (state / "logs").mkdir()
    postgres = EmbeddedPostgres(state / "postgres")
    kv = EmbeddedRedis(state / "redis", free_port())
    mesh = None
    try:
        factories = asyncio.run(seed(postgres.url, args.scans))
        # No EVM node: the anchor service is not started.
        mesh = Mesh(state, postgres.url, kv.url, "http://127.0.0.1:9", free_port())
        for name in ("admin", "envoy"):
            mesh.children[name].start()
        probe = f"http://127.0.0.1:{mesh.port}/v1/admin/factories/{factories[0]}"
        try:
            wait_until(lambda: _answers(probe), 180, "the admin service through Envoy")
        except TimeoutError:
            print(mesh.children["admin"].log_path.read_text()[-3000:])
            raise
        token = TokenSigner(mesh.signing_key, "dev", "voketag", "voketag-api").mint("bench", Role.ADMIN, ttl_s=3600)
        headers = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{mesh.port}", headers=headers, timeout=30) as client:
            n = args.requests
            results = {
                "baseline GetFactory (PK lookup)": measure(client, f"/v1/admin/factories/{factories[0]}", n),
                "GetDashboard (all factories)": measure(client, "/v1/admin/dashboard", n),
                "GetDashboard (one factory)": measure(client, "/v1/admin/dashboard", n, factoryId=str(factories[1])),
                "GetAnalytics (30 days)": measure(client, "/v1/admin/analytics", n),
                "GetAnalytics (90 days, top 100)": measure(
                    client, "/v1/admin/analytics", n, startDate=_days_ago(DAYS - 1), topN=100
                ),
            }
        base = statistics.median(results["baseline GetFactory (PK lookup)"])
        base95 = p95(results["baseline GetFactory (PK lookup)"])
        print(f"\n{args.scans:,} scans, {n} sequential requests each, through Envoy")
        print(f"{'call':<34} {'p50 ms':>8} {'p95 ms':>8} {'p50/base':>9} {'p95/base':>9}")
        for name, times in results.items():
            mid, high = statistics.median(times), p95(times)
            print(f"{name:<34} {mid:8.1f} {high:8.1f} {mid / base:9.1f} {high / base95:9.1f}")
    finally:
        if mesh is not None:
            for name in ("envoy", "admin"):
                mesh.children[name].stop()
        kv.stop()
        postgres.stop()
        shutil.rmtree(state, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 401
    except httpx.HTTPError:
        return False


def _days_ago(days: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - days * 86400))


if __name__ == "__main__":
    main()
