"""grpc.aio bootstrap shared by the four services: one place for start-up, health and shutdown."""

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
import redis.asyncio as redis
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2
from prometheus_client import start_http_server
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from voketag import migrations, tracing
from voketag.auth import PUBLIC, Policy, Revocations, TokenVerifier, policy_of
from voketag.db import create_pool
from voketag.interceptors import AuthInterceptor, ErrorInterceptor, ObserveInterceptor, ValidationInterceptor
from voketag.kv import create_redis, reply
from voketag.logs import setup_logging
from voketag.settings import RuntimeSettings

log = logging.getLogger("voketag.server")

Probe = Callable[[], Awaitable[Any]]
# Request metadata a server accepts: twice Envoy's request header limit (max_request_headers_kb, 60 KiB), rounded up.
METADATA_LIMIT = 128 * 1024

# Infrastructure RPCs every server answers without credentials.
_INFRA_SERVICES = (
    health_pb2.DESCRIPTOR.services_by_name["Health"],
    reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"],
)


@dataclass(frozen=True)
class Service:
    """A servicer, the generated function that registers it, and its contract."""

    servicer: object
    register: Callable[[Any, grpc.aio.Server], None]
    descriptor: ServiceDescriptor
    # Health details: each is a gRPC health entry of its own, "<service full name>/<name>", SERVING while its
    # function returns "" and NOT_SERVING (the text logged) otherwise. They say what is wrong without taking
    # the service out of Envoy's rotation.
    details: Mapping[str, Callable[[], str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Resources:
    pool: asyncpg.Pool
    redis: redis.Redis


class MissingPolicy(RuntimeError):
    pass


def policy_table(services: Iterable[Service]) -> dict[str, Policy]:
    """Map '/pkg.Service/Method' to the policy its handler declares; refuse undeclared methods."""
    table: dict[str, Policy] = {}
    missing = []
    for service in services:
        for method in service.descriptor.methods:
            policy = policy_of(getattr(type(service.servicer), method.name))
            if policy is None:
                missing.append(f"{service.descriptor.full_name}.{method.name}")
            else:
                table[f"/{service.descriptor.full_name}/{method.name}"] = policy
    if missing:
        raise MissingPolicy("RPC handlers without a declared access policy: " + ", ".join(missing))
    for infra in _INFRA_SERVICES:
        for infra_method in infra.methods:
            table[f"/{infra.full_name}/{infra_method.name}"] = PUBLIC
    return table


async def _watch_health(
    checker: health.aio.HealthServicer,
    names: Sequence[str],
    probes: Mapping[str, Probe],
    interval_s: float,
    timeout_s: float,
    details: Mapping[str, Callable[[], str]],
) -> None:
    """Report SERVING only while every dependency answers, and each detail; log each change once."""
    last: bool | None = None
    reported: dict[str, str | None] = dict.fromkeys(details)
    while True:
        for name, detail in details.items():
            problem = detail()
            if problem != reported[name]:
                serving = health_pb2.HealthCheckResponse.SERVING
                await checker.set(name, health_pb2.HealthCheckResponse.NOT_SERVING if problem else serving)
                log.log(logging.WARNING if problem else logging.INFO, "health detail", extra={name: problem})
                reported[name] = problem
        failed = []
        for dependency, probe in probes.items():
            try:
                await asyncio.wait_for(probe(), timeout_s)
            except Exception:
                failed.append(dependency)
        healthy = not failed
        if healthy != last:
            status = health_pb2.HealthCheckResponse.SERVING if healthy else health_pb2.HealthCheckResponse.NOT_SERVING
            for name in ("", *names):
                await checker.set(name, status)
            log.log(logging.INFO if healthy else logging.WARNING, "health changed", extra={"unreachable": failed})
            last = healthy
        await asyncio.sleep(interval_s)


async def serve(
    settings: RuntimeSettings,
    services: Sequence[Service],
    probes: Mapping[str, Probe],
    reflect: Iterable[str] = (),
    stop: asyncio.Event | None = None,
    revocations: Revocations | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or ``stop``), then finish in-flight calls within the grace period.

    ``revocations`` makes every authenticated call check that its session and credentials are still
    valid; run_service always passes it (only in-process test servers run without).
    """
    policies = policy_table(services)
    verifier = TokenVerifier(settings.auth_public_keys, settings.auth_issuer, settings.auth_audience)
    server = grpc.aio.server(
        interceptors=[
            ObserveInterceptor(settings.trusted_proxies),
            ErrorInterceptor(),
            AuthInterceptor(verifier, policies, revocations),
            ValidationInterceptor(),
        ],
        options=[
            # Refuse to share a port with a stale process instead of silently splitting traffic.
            ("grpc.so_reuseport", 0),
            # Envoy accepts 60 KiB of request headers and forwards the URL twice (x-envoy-original-path): above
            # grpc's 8 KiB soft limit calls fail at random, above its 16 KiB hard limit always, as a misleading
            # RESOURCE_EXHAUSTED. Whatever Envoy lets through reaches the handler, which judges the fields.
            ("grpc.max_metadata_size", METADATA_LIMIT),
            ("grpc.absolute_max_metadata_size", METADATA_LIMIT),
        ],
    )
    for service in services:
        service.register(service.servicer, server)
    checker = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    names = [service.descriptor.full_name for service in services]
    reflection.enable_server_reflection([*names, *reflect, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    address = f"{settings.grpc_host}:{settings.grpc_port}"
    server.add_insecure_port(address)
    start_http_server(settings.metrics_port, settings.metrics_host)
    await server.start()
    watcher = asyncio.create_task(
        _watch_health(
            checker,
            names,
            probes,
            settings.health_interval_s,
            settings.health_timeout_s,
            {f"{s.descriptor.full_name}/{name}": check for s in services for name, check in s.details.items()},
        )
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    # Everything made while starting (modules, descriptors, settings) lives as long as the process: moved out of
    # the collector's reach, a full collection under load scans only what requests made, not the whole heap
    # again every few seconds (those pauses were the verify p99, docs/scan.md).
    gc.collect()
    gc.freeze()
    log.info("serving", extra={"address": address, "services": names, "metrics_port": settings.metrics_port})
    await stop.wait()
    log.info("shutting down", extra={"grace_s": settings.shutdown_grace_s})
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    await checker.enter_graceful_shutdown()
    await server.stop(settings.shutdown_grace_s)
    log.info("stopped")


async def _connect(settings: RuntimeSettings) -> asyncpg.Pool:
    """Wait for PostgreSQL (it may still be starting), then bring the schema up to date."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((OSError, asyncpg.PostgresError)),
        wait=wait_exponential(multiplier=0.2, max=3),
        stop=stop_after_delay(60),
        reraise=True,
    ):
        with attempt:
            pool = await create_pool(settings)
    async with pool.acquire() as conn:
        await migrations.migrate(conn)
    return pool


def run_service(
    name: str,
    settings: RuntimeSettings,
    build: Callable[[Resources], Sequence[Service]],
    reflect: Iterable[str] = (),
) -> None:
    """The whole life of a service process: logging, storage, migrations, serve, close."""
    setup_logging(name, settings.log_level)
    log.info("settings", extra={"settings": settings.model_dump(mode="json")})
    tracing.setup(name, settings.otlp_traces_endpoint)

    async def main() -> None:
        pool = await _connect(settings)
        kv = create_redis(settings.redis_url)
        try:
            await serve(
                settings,
                build(Resources(pool, kv)),
                probes={"postgres": lambda: pool.fetchval("SELECT 1"), "redis": lambda: reply(kv.ping())},
                reflect=reflect,
                revocations=Revocations(kv),
            )
        finally:
            await kv.aclose()
            await pool.close()

    run(main())


def run(main: Awaitable[None]) -> None:
    """Run the event loop, on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)  # type: ignore[arg-type]
    else:
        uvloop.run(main)  # type: ignore[arg-type]
