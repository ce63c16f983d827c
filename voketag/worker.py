"""The Dramatiq worker's first module: `dramatiq voketag.worker <actor modules...>`.

It configures the broker before the actor modules that follow it on the command line are imported;
`devmesh.mesh.WORKER_MODULES` (and docker-compose.yml) list those modules.
"""

from voketag import tracing
from voketag.queue import setup_broker
from voketag.settings import WorkerSettings

settings = WorkerSettings()
tracing.setup("worker", settings.otlp_traces_endpoint)
broker = setup_broker(settings.queue_url)
