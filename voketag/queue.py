"""The Dramatiq broker shared by the worker and the services that enqueue work, chosen by its URL: redis:// (the
embedded default) or amqp:// (RabbitMQ, as in docker-compose)."""

from urllib.parse import urlsplit

import dramatiq
import redis
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from pydantic import SecretStr

from voketag.tracing import TraceMiddleware

# Milliseconds after which a silent worker's in-flight messages are handed to another worker (Redis; RabbitMQ
# hands them back itself when the worker's connection closes).
HEARTBEAT_TIMEOUT_MS = 30_000
# Dramatiq looks for dead workers on a random 1 in 1,000 broker calls by default, which left the messages of a
# SIGKILLed worker waiting 20 minutes. On every call, they are back in their queue at the first poll after
# HEARTBEAT_TIMEOUT_MS (a worker polls every second when idle). The check is one sorted-set range read
# unless a worker is dead.
MAINTENANCE_CHANCE = MAINTENANCE_SCALE
# redis-py 7 waits forever on a silent socket by default; a broker call that hangs stalls an enqueue (outbox relay,
# Anchor RPC) or the worker's consumer. 5 s, as redis-py 8 defaults to (pinned to 7.1, docs/operations.md).
BROKER_SOCKET_TIMEOUT_S = 5.0
REDIS_SCHEMES = {"redis", "rediss", "unix"}
AMQP_SCHEMES = {"amqp", "amqps"}


def setup_broker(url: SecretStr) -> dramatiq.Broker:
    """Create the broker and make it the global one, before any actor module is imported."""
    secret = url.get_secret_value()
    scheme = urlsplit(secret).scheme
    broker: dramatiq.Broker
    if scheme in REDIS_SCHEMES:
        pool = redis.ConnectionPool.from_url(
            secret, socket_timeout=BROKER_SOCKET_TIMEOUT_S, socket_connect_timeout=BROKER_SOCKET_TIMEOUT_S
        )
        broker = RedisBroker(
            connection_pool=pool, heartbeat_timeout=HEARTBEAT_TIMEOUT_MS, maintenance_chance=MAINTENANCE_CHANCE
        )
    elif scheme in AMQP_SCHEMES:
        # Imported for RabbitMQ only: pika and the RabbitMQ broker cost a process that never uses them 2.4 MiB.
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: enqueue returns only once RabbitMQ has the message, so the outbox relay marks a row
        # sent only after its message is safe.
        broker = RabbitmqBroker(url=secret, confirm_delivery=True)
    else:
        raise ValueError(
            f"BROKER_URL must be redis://, rediss://, unix://, amqp:// or amqps://, not {scheme or 'empty'}://"
        )
    broker.add_middleware(TraceMiddleware())
    dramatiq.set_broker(broker)
    return broker
