"""The Dramatiq broker shared by the worker and the services that enqueue work, chosen by its URL: redis:// (the
embedded default) or amqp:// (RabbitMQ, as in docker-compose)."""

from contextvars import Token
from typing import Any
from urllib.parse import urlsplit

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.middleware import Middleware
from opentelemetry.trace import SpanKind
from pydantic import SecretStr

from voketag import context as rpc_context
from voketag.tracing import REQUEST_ID, TRACEPARENT, Active, current_traceparent, enter

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


class TraceMiddleware(Middleware):
    """Dramatiq: the sender's trace context rides in the message options, and the worker continues it.

    A message that already has a traceparent keeps it (the outbox relay sends the one stored with the request
    it relays, not its own). The worker runs each message in a CONSUMER span under that context, with the
    request id the sender had; asyncio.run in the actor copies the context, so its spans nest inside.
    """

    def __init__(self) -> None:
        # Span and context tokens of the messages being processed, by message id (never in the options: a retry
        # re-enqueues the options as JSON).
        self._active: dict[str, tuple[Active, Token[str]]] = {}

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        if TRACEPARENT not in message.options:
            traceparent = current_traceparent()
            if traceparent:
                message.options[TRACEPARENT] = traceparent
        if REQUEST_ID not in message.options and rpc_context.request_id.get():
            message.options[REQUEST_ID] = rpc_context.request_id.get()

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        request_token = rpc_context.request_id.set(str(message.options.get(REQUEST_ID, message.message_id)))
        carrier = {TRACEPARENT: str(message.options.get(TRACEPARENT, ""))}
        active = enter(f"dramatiq {message.actor_name}", carrier, SpanKind.CONSUMER)
        active.span.set_attribute("messaging.system", "dramatiq")
        active.span.set_attribute("messaging.destination.name", message.queue_name)
        self._active[message.message_id] = (active, request_token)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        state = self._active.pop(message.message_id, None)
        if state is None:
            return
        active, request_token = state
        if exception is not None:
            active.span.record_exception(exception)
        active.end(type(exception).__name__ if exception is not None else "")
        rpc_context.request_id.reset(request_token)

    after_skip_message = after_process_message


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
