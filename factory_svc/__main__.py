"""Entry point: settings -> storage -> broker + outbox relay + request id cleanup -> serve."""

import asyncio

from factory_svc.api import SERVICE, FactoryApi
from factory_svc.relay import Relay
from factory_svc.retention import RequestRetention
from factory_svc.settings import FactorySettings
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag.queue import setup_broker
from voketag.server import Resources, Service, run_service

settings = FactorySettings()
_background: set[asyncio.Task[None]] = set()


def services(resources: Resources) -> list[Service]:
    # Called inside the running event loop by run_service; the relay lives as long as the loop.
    relay = Relay(resources.pool, setup_broker(settings.queue_url), settings.relay_interval_s)
    if settings.relay_enabled:
        _background.add(asyncio.get_running_loop().create_task(relay.run()))
    # Always on: every replica may run it (SKIP LOCKED), and without it factory_requests grows forever.
    retention = RequestRetention(
        resources.pool, settings.request_id_retention_s, settings.request_id_cleanup_interval_s
    )
    _background.add(asyncio.get_running_loop().create_task(retention.run()))
    api = FactoryApi(resources.pool, settings, relay.wake)
    return [Service(api, rpc.add_FactoryServiceServicer_to_server, SERVICE)]


def main() -> None:
    run_service("factory", settings, services)


if __name__ == "__main__":
    main()
