"""A real RabbitMQ server for the tests that run on both Dramatiq brokers: the one answering on 127.0.0.1:5672
(guest/guest), else Debian's rabbitmq-server started as a node of the test session's own. Each test gets a
virtual host of its own, so parallel runs on one server never take each other's messages."""

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from devmesh.mesh import Child, free_port, port_open, wait_until

LOCAL_PORT = 5672
MISSING = (
    "the RabbitMQ tests need a RabbitMQ server: none answers on 127.0.0.1:5672 and Debian's rabbitmq-server is not "
    "installed (apt-get install rabbitmq-server)"
)


@dataclass
class RabbitMQ:
    port: int
    node: str = ""  # empty: the machine's own server, reached by rabbitmqctl's default node
    child: Child | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def ctl(self, *args: str) -> None:
        node = ["-n", self.node] if self.node else []
        subprocess.run(["rabbitmqctl", *node, *args], env=self.env, check=True, capture_output=True, timeout=60)

    def vhost(self) -> str:
        """A new virtual host that guest may use; returns its amqp:// URL."""
        name = f"voketag-{uuid.uuid4().hex[:12]}"
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{name}"

    def drop(self, url: str) -> None:
        self.ctl("delete_vhost", url.rsplit("/", 1)[1])

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop(timeout_s=60)


def start_rabbitmq(state_dir: Path) -> RabbitMQ:
    if port_open(LOCAL_PORT):
        return RabbitMQ(LOCAL_PORT)
    if shutil.which("rabbitmq-server") is None:
        raise RuntimeError(MISSING)
    port, node = free_port(), f"voketag-test-{uuid.uuid4().hex[:8]}@localhost"
    state_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(free_port()),
        "RABBITMQ_MNESIA_BASE": str(state_dir / "mnesia"),
        "RABBITMQ_LOG_BASE": str(state_dir / "log"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(state_dir / "enabled_plugins"),
    }
    server = RabbitMQ(port, node, Child("rabbitmq", ["rabbitmq-server"], env, state_dir / "rabbitmq.log"), env)
    assert server.child is not None
    server.child.start()
    wait_until(lambda: port_open(port), 120, f"rabbitmq-server (see {state_dir / 'rabbitmq.log'})")
    return server
