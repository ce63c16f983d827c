"""Entry point: settings -> storage -> serve, plus the anchoring loop (anchor_svc.pump) in the same process."""

import asyncio
import logging
import os
import signal

import dramatiq

from anchor_svc.api import SERVICE, AnchorApi
from anchor_svc.chain import Chain
from anchor_svc.pump import Anchorer, WrongChain
from anchor_svc.settings import AnchorSettings
from anchor_svc.usecases import Anchoring
from voketag.anchor.v1 import anchor_service_pb2_grpc as rpc
from voketag.queue import setup_broker
from voketag.server import Resources, Service, run_service
from voketag.tokens import KeyRing

log = logging.getLogger("anchor_svc")
# Strong references to the background loop (the event loop keeps only weak ones).
_background: set[asyncio.Task[None]] = set()


async def _pump(anchorer: Anchorer) -> None:
    try:
        await anchorer.run(asyncio.Event())
    except WrongChain:
        log.critical("wrong chain; stopping the service", exc_info=True)
        os.kill(os.getpid(), signal.SIGTERM)


def main() -> None:
    settings = AnchorSettings()
    broker = setup_broker(settings.queue_url)
    ring = KeyRing.from_config(
        {kid: secret.get_secret_value() for kid, secret in settings.token_keys.items()}, settings.token_signing_key_id
    )

    def enqueue(batch_id: str) -> None:
        broker.enqueue(
            dramatiq.Message(queue_name="anchor", actor_name="request_anchor", args=(batch_id,), kwargs={}, options={})
        )

    def services(resources: Resources) -> list[Service]:
        chain = Chain(settings.eth_rpc_url, settings.anchor_rpc_timeout_s, settings.anchor_private_key)
        anchorer = Anchorer(resources.pool, chain, settings)
        task = asyncio.get_running_loop().create_task(_pump(anchorer))
        _background.add(task)
        task.add_done_callback(_background.discard)
        anchoring = Anchoring(resources.pool, chain, ring, settings, enqueue)
        api = AnchorApi(anchoring)
        return [Service(api, rpc.add_AnchorServiceServicer_to_server, SERVICE, {"chain": anchorer.chain_problem})]

    run_service("anchor", settings, services)


if __name__ == "__main__":
    main()
