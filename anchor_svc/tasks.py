"""Dramatiq actors of the anchor service (`dramatiq voketag.worker anchor_svc.tasks`).

request_anchor(batch_id) on queue "anchor" is what the factory service sends for every new batch (and
the Anchor RPC for a batch without a tree): it seals the batch (computes and stores its tree). Delivery is
at least once; sealing is idempotent. Failures retry with Dramatiq's exponential backoff; when retries
are exhausted the message lands in the dead-letter set (anchor.XQ) and anchor_build_failed marks the
batch FAILED (with a batch.anchor_failed event) so that RetryAnchor can re-queue it.
"""

import asyncio
import logging
from typing import Any

import asyncpg
import dramatiq

from anchor_svc.sealing import UnknownBatch, seal
from anchor_svc.settings import AnchorWorkerSettings
from anchor_svc.storage import fail
from voketag.db import Connection
from voketag.tokens import KeyRing

QUEUE = "anchor"
log = logging.getLogger("anchor_svc.tasks")
settings = AnchorWorkerSettings()
ring = KeyRing.from_config(
    {kid: secret.get_secret_value() for kid, secret in settings.token_keys.items()}, settings.token_signing_key_id
)


async def _connect() -> Connection:
    return await asyncpg.connect(settings.database_url.get_secret_value())


async def _seal(batch_id: str) -> None:
    conn = await _connect()
    try:
        root = await seal(conn, batch_id, ring, settings.anchor_chunk_bits)
    finally:
        await conn.close()
    log.info("batch sealed", extra={"batch_id": batch_id, "batch_root": root.hex()})


async def _fail(batch_id: str, error: str) -> None:
    conn = await _connect()
    try:
        async with conn.transaction():
            await fail(conn, batch_id, error)
    finally:
        await conn.close()


@dramatiq.actor(
    queue_name=QUEUE,
    actor_name="request_anchor",
    max_retries=settings.anchor_build_retries,
    min_backoff=settings.anchor_build_min_backoff_ms,
    throws=(UnknownBatch,),
    on_retry_exhausted="anchor_build_failed",
)
def request_anchor(batch_id: str) -> None:
    asyncio.run(_seal(batch_id))


@dramatiq.actor(queue_name=QUEUE, actor_name="anchor_build_failed")
def anchor_build_failed(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
    traceback = str(message.get("options", {}).get("traceback", "")).strip().splitlines()
    error = f"sealing failed after {retry_info.get('retries', 0)} retries: {traceback[-1] if traceback else 'unknown'}"
    asyncio.run(_fail(str(message["args"][0]), error))
