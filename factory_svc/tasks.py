"""Dramatiq actors of the factory service (loaded by the worker after voketag.worker).

deliver_webhook(delivery_id) makes one signed POST and records the attempt. A failed attempt raises so
that Dramatiq retries it with exponential backoff; the attempt count in PostgreSQL decides when to give up,
so a redelivered message (at least once) never exceeds the budget and a finished delivery is not re-sent.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import dramatiq

from factory_svc import storage, webhooks
from factory_svc.relay import WEBHOOK_ACTOR, WEBHOOK_QUEUE
from factory_svc.settings import WebhookWorkerSettings

settings = WebhookWorkerSettings()


class DeliveryFailed(Exception):
    """The endpoint did not acknowledge; Dramatiq schedules the next attempt."""


def next_attempt_in(attempts: int) -> timedelta:
    """Upper bound of Dramatiq's jittered backoff before the next attempt: min * 2^attempts, capped."""
    backoff_ms = min(settings.webhook_min_backoff_ms * 2**attempts, settings.webhook_max_backoff_ms)
    return timedelta(milliseconds=backoff_ms)


async def deliver(delivery_id: str) -> bool:
    """Attempt one delivery; True when nothing more is to be done (delivered, given up, or cancelled)."""
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        target = await storage.delivery_target(conn, delivery_id)
        if target is None or target.state in ("SUCCEEDED", "FAILED"):
            return True
        if not target.live:
            await storage.cancel_delivery(conn, delivery_id)
            return True
        attempt = await webhooks.post(
            target.url,
            target.secret,
            target.event_id,
            target.body.encode(),
            settings.webhook_allow_loopback,
            settings.webhook_timeout_s,
        )
        attempts = target.attempts + 1
        now = datetime.now(UTC)
        if attempt.succeeded:
            state, next_at = "SUCCEEDED", None
        elif attempts > settings.webhook_max_retries:
            state, next_at = "FAILED", None
        else:
            state, next_at = "RETRYING", now + next_attempt_in(attempts)
        await storage.record_attempt(
            conn,
            delivery_id,
            state=state,
            attempts=attempts,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
            at=now,
            next_at=next_at,
        )
        return state != "RETRYING"
    finally:
        await conn.close()


@dramatiq.actor(
    actor_name=WEBHOOK_ACTOR,
    queue_name=WEBHOOK_QUEUE,
    max_retries=settings.webhook_max_retries,
    min_backoff=settings.webhook_min_backoff_ms,
    max_backoff=settings.webhook_max_backoff_ms,
)
def deliver_webhook(delivery_id: str) -> None:
    if not asyncio.run(deliver(delivery_id)):
        raise DeliveryFailed(f"webhook delivery {delivery_id} failed; retrying")
