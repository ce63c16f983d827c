"""Dramatiq actors of the factory service (loaded by the worker after voketag.worker).

deliver_webhook(delivery_id) makes one signed POST and records the attempt. A failed attempt raises so
that Dramatiq retries it with exponential backoff; the attempt count in PostgreSQL decides when to give up,
so a redelivered message (at least once) never exceeds the budget and a finished delivery is not re-sent.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import dramatiq

from factory_svc import webhooks
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
        row = await conn.fetchrow(
            """SELECT d.*, w.url, w.secret, w.active AND w.deleted_at IS NULL AS live
               FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1""",
            delivery_id,
        )
        if row is None or row["state"] in ("SUCCEEDED", "FAILED"):
            return True
        if not row["live"]:
            await conn.execute(
                "UPDATE webhook_deliveries SET state = 'FAILED', next_attempt_at = NULL WHERE id = $1", delivery_id
            )
            return True
        attempt = await webhooks.post(
            row["url"],
            row["secret"],
            str(row["event_id"]),
            row["body"].encode(),
            settings.webhook_allow_loopback,
            settings.webhook_timeout_s,
        )
        attempts = row["attempts"] + 1
        now = datetime.now(UTC)
        if attempt.succeeded:
            state, next_at = "SUCCEEDED", None
        elif attempts > settings.webhook_max_retries:
            state, next_at = "FAILED", None
        else:
            state, next_at = "RETRYING", now + next_attempt_in(attempts)
        async with conn.transaction():
            await conn.execute(
                """INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms)
                   VALUES ($1, $2, $3, $4)""",
                delivery_id,
                attempt.status_code,
                attempt.error,
                attempt.duration_ms,
            )
            await conn.execute(
                """UPDATE webhook_deliveries
                   SET state = $2, attempts = $3, last_status_code = $4, last_error = $5, last_attempt_at = $6,
                       next_attempt_at = $7, delivered_at = CASE WHEN $2 = 'SUCCEEDED' THEN $6::timestamptz END
                   WHERE id = $1""",
                delivery_id,
                state,
                attempts,
                attempt.status_code,
                attempt.error,
                now,
                next_at,
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
