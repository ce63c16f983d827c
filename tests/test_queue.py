"""The shared Dramatiq broker: a service enqueues, a real worker process consumes, over real Redis and over a
real RabbitMQ (BROKER_URL=amqp://...)."""

import importlib
import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from pydantic import SecretStr

from devmesh.mesh import ROOT
from voketag.queue import setup_broker


def test_enqueued_message_is_handled_by_a_worker(deps: dict[str, str], broker_url: str, monkeypatch) -> None:
    monkeypatch.setenv("REDIS_URL", deps["REDIS_URL"])
    monkeypatch.setenv("BROKER_URL", broker_url)
    # Imported afresh: its module-level broker is set up from this run's BROKER_URL.
    sys.modules.pop("tests.queue_probe", None)
    queue_probe = importlib.import_module("tests.queue_probe")

    key = f"probe:{uuid.uuid4().hex}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "tests.queue_probe", "--processes", "1", "--threads", "1"],
        env={**os.environ, "REDIS_URL": deps["REDIS_URL"], "BROKER_URL": broker_url},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for n in range(3):
            queue_probe.record.send(key, str(n))
        client = redis.Redis.from_url(deps["REDIS_URL"])
        deadline = time.monotonic() + 30
        while client.llen(key) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sorted(client.lrange(key, 0, -1)) == [b"0", b"1", b"2"]
    finally:
        worker.terminate()
        worker.wait(30)


def test_a_broker_url_of_another_scheme_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="BROKER_URL must be redis://"):
        setup_broker(SecretStr("kafka://127.0.0.1:9092"))
