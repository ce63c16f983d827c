"""SIGTERM lets in-flight calls finish and ends the process with exit code 0."""

import asyncio
import os
import signal
import sys

import grpc

from devmesh.mesh import ROOT, free_port, port_open, wait_until
from tests.slow_server import SLOW_S
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc


async def test_sigterm_finishes_in_flight_call_then_exits_zero() -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://unused/unused",
        "GRPC_PORT": str(port),
        "METRICS_PORT": str(free_port()),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.slow_server",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await asyncio.to_thread(wait_until, lambda: port_open(port), 20, "slow server")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = rpc.ScanServiceStub(channel)
            in_flight = asyncio.ensure_future(stub.VerifyToken(pb.VerifyTokenRequest(token="T"), timeout=10))
            await asyncio.sleep(SLOW_S / 3)
            proc.send_signal(signal.SIGTERM)
            reply = await in_flight
        assert reply.scan_count == 7
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
        output = (await proc.stdout.read()).decode() if proc.stdout else ""
    assert '"message": "shutting down"' in output
