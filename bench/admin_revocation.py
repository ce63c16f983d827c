"""Cost of the token-revocation check every authenticated RPC pays (voketag.auth.Revocations).

    .venv/bin/python bench/admin_revocation.py [--calls 5000]

Starts an embedded Redis on a free port and times, in one process, the baseline (EdDSA JWT verification,
what the auth interceptor did before revocation) and verification followed by the revocation MGET.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import redis.asyncio as redis

from devmesh.mesh import EmbeddedRedis, free_port
from voketag.auth import Revocations, Role, TokenSigner, TokenVerifier, generate_keypair


async def timed(calls: int, step: object) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await step()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1e6)
    return times


async def run(calls: int, url: str) -> None:
    private, public = generate_keypair()
    token = TokenSigner(private, "k", "voketag", "voketag-api").mint("u", Role.ADMIN, session_id="s", version=1)
    verifier = TokenVerifier({"k": public}, "voketag", "voketag-api")
    kv = redis.Redis.from_url(url)
    revocations = Revocations(kv)
    await revocations.publish({"other": 3}, ["other-session"], 60)

    async def verify_only() -> None:
        verifier.verify(token)

    async def verify_and_check() -> None:
        await revocations.check(verifier.verify(token))

    await timed(200, verify_and_check)
    base = await timed(calls, verify_only)
    full = await timed(calls, verify_and_check)
    await kv.aclose()
    print(f"{calls} calls, in-process, loopback Redis")
    print(f"{'step':<32} {'p50 us':>8} {'p95 us':>8}")
    for name, times in (("verify (baseline)", base), ("verify + revocation MGET", full)):
        print(f"{name:<32} {statistics.median(times):8.0f} {statistics.quantiles(times, n=20)[18]:8.0f}")
    print(f"ratio p50: {statistics.median(full) / statistics.median(base):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="voketag-bench-redis-")), free_port())
    try:
        asyncio.run(run(args.calls, server.url))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
