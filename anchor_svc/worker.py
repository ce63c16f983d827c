"""Dramatiq worker entry point: `dramatiq anchor_svc.worker`.

The broker is configured here, before any actor module is imported. The anchoring actors (issue #5)
and the webhook delivery actors (issue #4) are imported below as they land.
"""

from voketag.queue import setup_broker
from voketag.settings import WorkerSettings

broker = setup_broker(WorkerSettings().redis_url)
