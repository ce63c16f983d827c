"""Fault tests stop and restart their own PostgreSQL, Redis, anvil and processes under a mesh of their own, so
that the session's shared components (other tests use them meanwhile) never see the fault."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devmesh.mesh import Anvil, EmbeddedPostgres, EmbeddedRedis, Mesh, free_port


def wait_for(check: Callable[[], bool], timeout_s: float, what: str, pause_s: float = 0.2) -> float:
    """Poll ``check`` until it holds; return the seconds it took (printed by the tests, never asserted)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(pause_s)
    return time.monotonic() - started


class Postgres(EmbeddedPostgres):
    """The embedded PostgreSQL, with a real stop (pg_ctl fast shutdown) and a start on the same data."""

    def down(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._server.pgdata, user=self._server.system_user)

    def up(self) -> None:
        with self._server._lock:
            self._server.ensure_postgres_running()


@dataclass
class OwnMesh:
    mesh: Mesh
    postgres: Postgres
    redis: EmbeddedRedis
    anvil: Anvil

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.mesh.port}"


# Anchoring without the production waits: aggregate within a second, ANCHORED two blocks deep.
FAST_ANCHORING = {"ANCHOR_INTERVAL_S": "1", "ANCHOR_TICK_S": "0.5", "ANCHOR_CONFIRMATIONS": "2"}


@pytest.fixture(scope="module")
def own_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnMesh]:
    state = tmp_path_factory.mktemp("faults")
    (state / "logs").mkdir()
    postgres = Postgres(state / "postgres")
    redis = EmbeddedRedis(state / "redis", free_port())
    # An anvil of its own too: two anchor services sending from one account on one chain take each other's nonces.
    anvil = Anvil(state / "logs" / "anvil.log", free_port())
    mesh = Mesh(state, postgres.url, redis.url, anvil.url, free_port(), extra_env=FAST_ANCHORING)
    try:
        mesh.start()
        yield OwnMesh(mesh, postgres, redis, anvil)
    finally:
        mesh.stop()
        anvil.stop()
        redis.stop()
        postgres.stop()


def read_log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
