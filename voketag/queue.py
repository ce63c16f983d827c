"""The Dramatiq broker (Redis) shared by the worker and the services that enqueue work."""

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from pydantic import SecretStr

# Seconds after which a silent worker's in-flight messages are handed to another worker.
HEARTBEAT_TIMEOUT_MS = 30_000


def setup_broker(url: SecretStr) -> RedisBroker:
    """Create the broker and make it the global one, before any actor module is imported."""
    broker = RedisBroker(url=url.get_secret_value(), heartbeat_timeout=HEARTBEAT_TIMEOUT_MS)
    dramatiq.set_broker(broker)
    return broker
