"""Entry point: settings -> storage -> serve."""

import asyncio
import logging

from scan_svc import ledger as ledger_module
from scan_svc.api import SERVICE, ScanApi
from scan_svc.client import ClientIdentifier
from scan_svc.counterfeits import Counterfeits
from scan_svc.keys import device_salt
from scan_svc.partitions import Partitions
from scan_svc.resolver import Resolver
from scan_svc.settings import ScanSettings
from scan_svc.storage import LedgerStore, ScanStore, ScanWriter
from scan_svc.storage_redis import Gate, Guard
from scan_svc.tlog import Transparency, witnesses
from scan_svc.usecases import Scanner
from voketag.scan.v1 import scan_service_pb2_grpc as rpc
from voketag.server import Resources, Service, run_service
from voketag.tokens import KeyRing

log = logging.getLogger("scan_svc")

# The background tasks live as long as the event loop; this reference keeps them from being garbage-collected.
_background: set[asyncio.Task[None]] = set()


def build(settings: ScanSettings, resources: Resources) -> ScanApi:
    """The servicer and its background tasks (scan writers, ledger sealer, counterfeit flush, scans partitions);
    runs inside the event loop."""
    keys = {kid: secret.get_secret_value() for kid, secret in settings.token_keys.items()}
    keyring = KeyRing.from_config(keys, settings.token_signing_key_id, settings.token_retired_key_ids)
    guard = Guard(resources.redis, settings.redis_retry_after_s)
    limits = {
        "ip": settings.limit_ip,
        "device": settings.limit_device,
        "code": settings.limit_code,
        "report": settings.limit_report,
    }
    writer = ScanWriter(resources.pool, settings.scan_write_batch)
    writer.start()
    counterfeits = Counterfeits(guard, resources.pool)
    signer = ledger_module.notary(settings)
    # Operators publish this key (docs/ledger.md): checkpoints, receipts and the check command rely on it.
    log.info("ledger verifier key", extra={"vkey": str(signer.verifier)})
    ledger = ledger_module.build(resources.pool, settings, signer)
    transparency = Transparency(LedgerStore(resources.pool), signer, witnesses(settings.ledger_witness_keys))
    scanner = Scanner(
        settings,
        keyring,
        ClientIdentifier(device_salt(settings), settings.bot_user_agents),
        Gate(guard, limits, settings.risk_thresholds.velocity_window_s, settings.risk_thresholds.client_place_ttl_s),
        ScanStore(resources.pool),
        writer,
        counterfeits,
        transparency if settings.ledger_transparency else None,
    )
    if settings.ledger_transparency:
        _background.add(asyncio.get_running_loop().create_task(ledger.run(settings.ledger_seal_interval_s)))
    _background.add(asyncio.get_running_loop().create_task(counterfeits.run(settings.counterfeit_flush_interval_s)))
    partitions = Partitions(resources.pool, settings.scan_partitions_ahead_months, settings.scan_retention_months)
    _background.add(asyncio.get_running_loop().create_task(partitions.run(settings.scan_partition_interval_s)))
    resolver = Resolver(scanner, keyring, ScanStore(resources.pool), settings.public_base_url)
    return ScanApi(scanner, ledger, transparency, resolver)


def main() -> None:
    settings = ScanSettings()

    def services(resources: Resources) -> list[Service]:
        return [Service(build(settings, resources), rpc.add_ScanServiceServicer_to_server, SERVICE)]

    run_service("scan", settings, services)


if __name__ == "__main__":
    main()
