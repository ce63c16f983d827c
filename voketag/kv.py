"""Redis client shared by the services (rate limits, counters, caches)."""

import redis.asyncio as redis
from pydantic import SecretStr


def create_redis(url: SecretStr) -> redis.Redis:
    # Short timeouts: a slow or restarting Redis must not stall an RPC; callers decide how to degrade.
    return redis.Redis.from_url(
        url.get_secret_value(),
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        health_check_interval=10,
    )
