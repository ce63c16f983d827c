"""Entry point: settings -> storage -> serve."""

import asyncio
import logging

from admin_svc.api import SERVICE, AdminApi
from admin_svc.secrets import Passwords
from admin_svc.settings import AdminSettings
from admin_svc.throttle import Limits, LoginThrottle
from admin_svc.usecases_identity import Identity, Lifetimes
from admin_svc.usecases_reports import Reports
from admin_svc.usecases_review import Review
from voketag.admin.v1 import admin_service_pb2_grpc as rpc
from voketag.anchor.v1 import anchor_service_pb2
from voketag.auth import TokenSigner
from voketag.factory.v1 import factory_service_pb2
from voketag.scan.v1 import scan_service_pb2
from voketag.server import Resources, Service, run_service

log = logging.getLogger("admin_svc")

# Envoy sends reflection to the admin service, so grpcurl through the gateway sees the whole mesh.
MESH_CONTRACT = [
    scan_service_pb2.DESCRIPTOR.services_by_name["ScanService"].full_name,
    factory_service_pb2.DESCRIPTOR.services_by_name["FactoryService"].full_name,
    anchor_service_pb2.DESCRIPTOR.services_by_name["AnchorService"].full_name,
]
# Seconds between copies of the revocations in PostgreSQL to Redis (repairs a Redis that lost its data).
RESYNC_INTERVAL_S = 30


def build_identity(settings: AdminSettings, resources: Resources) -> Identity:
    return Identity(
        resources.pool,
        resources.redis,
        TokenSigner(
            settings.auth_signing_key.get_secret_value(),
            settings.auth_signing_kid,
            settings.auth_issuer,
            settings.auth_audience,
        ),
        Passwords(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism),
        LoginThrottle(
            resources.redis,
            Limits(
                settings.login_failures_per_pair,
                settings.login_failures_per_address,
                settings.login_window_s,
                settings.login_account_burst,
                settings.login_account_interval_s,
                settings.service_token_burst,
                settings.service_token_interval_s,
            ),
        ),
        Lifetimes(
            settings.access_token_ttl_s,
            settings.service_token_ttl_s,
            settings.refresh_token_ttl_s,
            settings.reset_token_ttl_s,
        ),
    )


async def keep_revocations_synced(identity: Identity) -> None:
    while True:
        try:
            await identity.resync()
        except Exception:
            log.warning("revocation resync failed; retrying", exc_info=True)
        await asyncio.sleep(RESYNC_INTERVAL_S)


def main() -> None:
    settings = AdminSettings()
    background: set[asyncio.Task[None]] = set()

    def services(resources: Resources) -> list[Service]:
        identity = build_identity(settings, resources)
        background.add(asyncio.get_running_loop().create_task(keep_revocations_synced(identity)))
        api = AdminApi(identity, Reports(resources.pool), Review(resources.pool), resources.pool)
        return [Service(api, rpc.add_AdminServiceServicer_to_server, SERVICE)]

    run_service("admin", settings, services, reflect=MESH_CONTRACT)


if __name__ == "__main__":
    main()
