"""The Dramatiq broker (Redis) shared by the worker and the services that enqueue work."""

import dramatiq
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from pydantic import SecretStr

from voketag.tracing import TraceMiddleware

# Milliseconds after which a silent worker's in-flight messages are handed to another worker.
HEARTBEAT_TIMEOUT_MS = 30_000
# Dramatiq looks for dead workers on a random 1 in 1,000 broker calls by default, which left the messages of a
# SIGKILLed worker waiting 20 minutes. On every call, they are back in their queue at the first poll after
# HEARTBEAT_TIMEOUT_MS (a worker polls every second when idle). The check is one sorted-set range read
# unless a worker is dead.
MAINTENANCE_CHANCE = MAINTENANCE_SCALE


def setup_broker(url: SecretStr) -> RedisBroker:
    """Create the broker and make it the global one, before any actor module is imported."""
    broker = RedisBroker(
        url=url.get_secret_value(), heartbeat_timeout=HEARTBEAT_TIMEOUT_MS, maintenance_chance=MAINTENANCE_CHANCE
    )
    broker.add_middleware(TraceMiddleware())
    dramatiq.set_broker(broker)
    return broker
