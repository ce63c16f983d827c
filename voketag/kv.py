"""Redis client shared by the services (rate limits, counters, caches)."""

from collections.abc import Awaitable
from typing import TypeVar, cast

import redis.asyncio as redis
from pydantic import SecretStr

T = TypeVar("T")


def create_redis(url: SecretStr) -> redis.Redis:
    # Short timeouts: a slow or restarting Redis must not stall an RPC; callers decide how to degrade.
    return redis.Redis.from_url(
        url.get_secret_value(),
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        health_check_interval=10,
    )


def reply(value: Awaitable[T] | T) -> Awaitable[T]:
    """A command of the asyncio client as what it returns at run time. redis-py 7 (pinned for its imports,
    docs/operations.md "Idle memory per process") types each command as ``Awaitable[T] | T``, one signature for the
    synchronous and the asyncio client."""
    return cast(Awaitable[T], value)
