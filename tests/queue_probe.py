"""A Dramatiq actor module for the queue test: it records each message it handles in Redis (whatever the broker)."""

import dramatiq
import redis

from voketag.queue import setup_broker
from voketag.settings import WorkerSettings

settings = WorkerSettings()
broker = setup_broker(settings.queue_url)


@dramatiq.actor(queue_name="probe", max_retries=3, min_backoff=100)
def record(key: str, value: str) -> None:
    redis.Redis.from_url(settings.redis_url.get_secret_value()).rpush(key, value)
