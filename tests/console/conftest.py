"""The console's own mesh: a database, Redis and chain of its own, and webhooks allowed to reach loopback so
that the browser tests can register a webhook to a receiver on 127.0.0.1 and read its real deliveries. The
session's mesh keeps the production setting (loopback refused), which the factory tests check."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devmesh.mesh import Mesh, free_port
from tests.support import own_dependencies


@pytest.fixture(scope="module")
def console_deps(deps: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with own_dependencies(deps["DATABASE_URL"], tmp_path_factory.mktemp("console-deps"), "console") as urls:
        yield urls


@pytest.fixture(scope="module")
def console_gateway(console_deps: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("console-mesh")
    (state / "logs").mkdir()
    # Development-only setting (docs/factory.md): http:// and loopback webhook targets are accepted. One
    # confirmation and a short tick anchor a sealed batch within seconds, so its proof bundles can be fetched.
    env = {
        "WEBHOOK_ALLOW_LOOPBACK": "true",
        "WEBHOOK_MIN_BACKOFF_MS": "200",
        "ANCHOR_CONFIRMATIONS": "1",
        "ANCHOR_TICK_S": "0.2",
    }
    urls = console_deps
    running = Mesh(state, urls["DATABASE_URL"], urls["REDIS_URL"], urls["ETH_RPC_URL"], free_port(), extra_env=env)
    running.start()
    yield f"http://127.0.0.1:{running.port}"
    running.stop()


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that accepts every delivery and remembers the event ids."""

    def __init__(self) -> None:
        self.events: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.server.events.append(self.headers.get("VokeTag-Event-Id", ""))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
