"""The Dramatiq worker's first module: `dramatiq voketag.worker <actor modules...>`.

It configures the broker before the actor modules that follow it on the command line are imported;
`devmesh.mesh.WORKER_MODULES` (and docker-compose.yml) list those modules.
"""

from voketag.queue import setup_broker
from voketag.settings import WorkerSettings

broker = setup_broker(WorkerSettings().queue_url)
