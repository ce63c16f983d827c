"""The error model: every reason is an ErrorReason value of the contract (unit tests, no mesh), and end to end:
handler -> interceptors -> Envoy -> REST client, and native gRPC."""

import ast
import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2

from devmesh.mesh import Child, Mesh, envoy_child, free_port, wait_until
from scan_svc.api import SERVICE, ScanApi
from scan_svc.settings import ScanSettings
from tests.support import error_reason, json_reason
from voketag import errors
from voketag.auth import public
from voketag.common.v1 import errors_pb2
from voketag.errors import REASONS, DomainError, InvalidArgument, NotFound
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc
from voketag.server import Service, serve

SECRET = "password=hunter2 at db.internal"
ROOT = Path(__file__).resolve().parent.parent
SERVICE_PACKAGES = ("voketag", "scan_svc", "factory_svc", "admin_svc", "anchor_svc")


# --- reasons: the contract's ErrorReason is the one list (fast, no mesh) ------------------------------------


@pytest.mark.parametrize("reason", ["NO_SUCH_REASON", "FIELD_INVALID", "not_found", "ERROR_REASON_NOT_FOUND", ""])
def test_unknown_reason_is_refused_at_construction(reason: str) -> None:
    with pytest.raises(ValueError, match="unknown error reason"):
        NotFound(reason, "no such thing")


def test_unspecified_is_not_a_reason() -> None:
    with pytest.raises(ValueError):
        InvalidArgument("UNSPECIFIED", "never sent")


def test_reasons_are_the_enum_value_names_without_prefix() -> None:
    names = {value.name.removeprefix("ERROR_REASON_") for value in errors_pb2.ErrorReason.DESCRIPTOR.values}
    assert names - {"UNSPECIFIED"} == REASONS
    status = NotFound("PRODUCT_NOT_FOUND", "no product has this token").to_status()
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info) and info.reason == "PRODUCT_NOT_FOUND" and info.domain == errors.DOMAIN


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of DomainError and its subclasses: those of voketag.errors and any the service sources define."""
    names, pending = set(), [DomainError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                bases = {getattr(base, "id", getattr(base, "attr", None)) for base in getattr(node, "bases", ())}
                if isinstance(node, ast.ClassDef) and node.name not in names and bases & names:
                    names.add(node.name)
                    grew = True
    return names


def _module_tuples(tree: ast.Module) -> dict[str, ast.Tuple]:
    """Module-level NAME = (...) assignments, for calls like NotFound(*_BATCH_NOT_FOUND)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
    return found


def _reason_argument(call: ast.Call, tuples: dict[str, ast.Tuple]) -> ast.expr | None:
    if call.args:
        first = call.args[0]
        if isinstance(first, ast.Starred) and isinstance(first.value, ast.Name) and first.value.id in tuples:
            elements = tuples[first.value.id].elts
            return elements[0] if elements else None
        return first
    return next((keyword.value for keyword in call.keywords if keyword.arg == "reason"), None)


def _reason_sites() -> list[tuple[str, ast.expr | None]]:
    """(file:line, reason expression) of every DomainError the service packages construct."""
    trees = {}
    for package in SERVICE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            trees[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    classes = _error_classes(trees)
    sites = []
    for path, tree in trees.items():
        tuples = _module_tuples(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in classes:
                sites.append((f"{path.relative_to(ROOT)}:{node.lineno}", _reason_argument(node, tuples)))
    return sites


def _literal(reason: ast.expr | None) -> str | None:
    return reason.value if isinstance(reason, ast.Constant) and isinstance(reason.value, str) else None


def test_every_reason_raised_in_the_sources_is_in_the_contract() -> None:
    """Every DomainError the services construct names its reason as a literal that ErrorReason lists."""
    sites, unknown, not_literal = [], [], []
    for where, reason in _reason_sites():
        name = _literal(reason)
        if name is None:
            not_literal.append(f"{where} {ast.unparse(reason) if reason else '(no reason)'}")
            continue
        sites.append(where)
        if name not in REASONS:
            unknown.append(f"{where} {name}")
    assert not unknown, f"reasons missing from ErrorReason (proto/voketag/common/v1/errors.proto): {unknown}"
    assert not not_literal, f"reasons must be string literals (or a module-level tuple's first item): {not_literal}"
    # Not vacuous: the services construct many errors, in every package.
    assert len(sites) > 30, sites
    assert {where.split("/")[0] for where in sites} == set(SERVICE_PACKAGES)


def _gateway_reasons() -> set[str]:
    """Reasons of the ErrorInfo details Envoy's local replies carry (gateway/envoy.yaml.tmpl)."""
    template = (ROOT / "gateway" / "envoy.yaml.tmpl").read_text(encoding="utf-8")
    return set(re.findall(r"google\.rpc\.ErrorInfo, reason: ([A-Z_]+)", template))


def test_every_reason_in_the_contract_is_sent_or_deprecated() -> None:
    """A reason clients are told to expect is sent by some code (a service or Envoy), or marked deprecated."""
    deprecated = {
        value.name.removeprefix("ERROR_REASON_")
        for value in errors_pb2.ErrorReason.DESCRIPTOR.values
        if value.GetOptions().deprecated
    }
    gateway = _gateway_reasons()
    assert gateway and gateway <= REASONS, gateway - REASONS
    sent = {_literal(reason) for _, reason in _reason_sites()} | gateway
    never_sent = sorted(REASONS - sent - deprecated)
    assert not never_sent, (
        f"ErrorReason values no code sends: {never_sent}; send them where they belong or mark them "
        "[deprecated = true] in proto/voketag/common/v1/errors.proto"
    )


class FaultyScan(ScanApi):
    """A scan service whose handlers fail in the ways the error model must handle."""

    def __init__(self) -> None:
        """No storage: the overridden handlers need none, the inherited ones are never called."""

    @public
    async def VerifyToken(
        self, request: pb.VerifyTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyTokenResponse:
        if request.token == "MISSING":
            raise NotFound("PRODUCT_NOT_FOUND", "no product has this token", metadata={"token": request.token})
        raise RuntimeError(SECRET)

    @public
    async def ReportFraud(
        self, request: pb.ReportFraudRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReportFraudResponse:
        raise InvalidArgument("INVALID_FIELD", "description is too short", fields={"description": "10 to 2000 chars"})


@pytest.fixture(scope="module")
async def faulty_server() -> AsyncIterator[int]:
    port = free_port()
    settings = ScanSettings(database_url="postgresql://unused/unused", grpc_port=port, metrics_port=free_port())
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(settings, [Service(FaultyScan(), rpc.add_ScanServiceServicer_to_server, SERVICE)], {}, stop=stop)
    )
    yield port
    stop.set()
    await task


@pytest.fixture(scope="module")
async def faulty_gateway(mesh: Mesh, faulty_server: int, state_dir: Path) -> AsyncIterator[str]:
    """A second Envoy whose scan cluster is the faulty server."""
    values = {**mesh.envoy_values(), "listen_port": free_port(), "admin_port": free_port(), "scan_port": faulty_server}
    envoy: Child = envoy_child(state_dir, "envoy-faulty", values)
    envoy.start()
    url = f"http://127.0.0.1:{values['listen_port']}"
    # In a thread: the faulty server answers on this event loop.
    await asyncio.to_thread(wait_until, lambda: _answers(url), 30, "faulty gateway")
    yield url
    envoy.stop()


async def post(url: str, **kwargs: object) -> httpx.Response:
    """Async: the faulty server runs on the test event loop and must keep running while we wait."""
    async with httpx.AsyncClient() as client:
        return await client.post(url, **kwargs)  # type: ignore[arg-type]


def _answers(url: str) -> bool:
    try:
        return httpx.post(f"{url}/api/verify/MISSING").status_code == 404
    except httpx.HTTPError:
        return False


async def test_domain_error_becomes_http_code_with_error_info(faulty_gateway: str) -> None:
    reply = await post(f"{faulty_gateway}/api/verify/MISSING")
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("application/json")
    assert json_reason(reply.content) == "PRODUCT_NOT_FOUND"
    assert "grpc-status" not in reply.headers and "grpc-message" not in reply.headers


async def test_field_violation_becomes_400(faulty_gateway: str) -> None:
    reply = await post(f"{faulty_gateway}/api/fraud/report", json={"token": "X", "description": "short"})
    assert reply.status_code == 400
    body = reply.json()
    assert json_reason(reply.content) == "INVALID_FIELD"
    violations = next(d for d in body["details"] if d["@type"].endswith("BadRequest"))["fieldViolations"]
    assert [(v["field"], v["description"]) for v in violations] == [("description", "10 to 2000 chars")]


async def test_unexpected_exception_is_a_generic_500(faulty_gateway: str) -> None:
    reply = await post(f"{faulty_gateway}/api/verify/ANYTHING")
    assert reply.status_code == 500
    assert "hunter2" not in reply.text and "RuntimeError" not in reply.text
    assert reply.json()["message"].startswith("internal error (request id ")


async def test_native_grpc_through_envoy_carries_error_info(faulty_gateway: str) -> None:
    async with grpc.aio.insecure_channel(faulty_gateway.removeprefix("http://")) as channel:
        stub = rpc.ScanServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.VerifyToken(pb.VerifyTokenRequest(token="MISSING"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(caught.value) == "PRODUCT_NOT_FOUND"
