"""An enum number the contract does not define, in every request enum field of every RPC, over native gRPC through
Envoy and straight to the service's own port: INVALID_ARGUMENT naming the field, never INTERNAL.

Proto3 enums are open: a generated client sends 999 as readily as a defined value, and grpcio hands it to the
handler. The cases are derived from the descriptors, so a new RPC or enum field is covered without editing this file.
"""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message

import admin_svc.api  # noqa: F401 - each servicer module puts its service in the default descriptor pool
import anchor_svc.api  # noqa: F401
import factory_svc.api  # noqa: F401
import scan_svc.api  # noqa: F401
from devmesh.mesh import Mesh
from tests.contract import CLUSTERS
from tests.support import error_reason
from tests.test_validation import grpc_violations

UNKNOWN = 999
# Nesting deep enough for every request of the contracts; a recursive message type stops the walk here.
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Case:
    method: MethodDescriptor
    path: tuple[FieldDescriptor, ...]  # message fields leading to the enum field, then the enum field itself

    @property
    def field(self) -> str:
        """The proto path validation reports: repeated fields with their first index."""
        return ".".join(f"{f.name}[0]" if f.is_repeated else f.name for f in self.path)

    @property
    def label(self) -> str:
        return f"{self.method.containing_service.name}.{self.method.name}:{self.field}"

    def request(self) -> Message:
        request = message_factory.GetMessageClass(self.method.input_type)()
        target = request
        for field in self.path[:-1]:
            target = getattr(target, field.name).add() if field.is_repeated else getattr(target, field.name)
        last = self.path[-1]
        if last.is_repeated:
            getattr(target, last.name).append(UNKNOWN)
        else:
            setattr(target, last.name, UNKNOWN)
        return request


def _enum_paths(message: Descriptor, depth: int = 0) -> Iterator[tuple[FieldDescriptor, ...]]:
    if depth > _MAX_DEPTH:
        return
    for field in message.fields:
        if field.type == FieldDescriptor.TYPE_ENUM:
            yield (field,)
        elif field.message_type is not None and not field.message_type.GetOptions().map_entry:
            for rest in _enum_paths(field.message_type, depth + 1):
                yield (field, *rest)


def cases() -> list[Case]:
    pool = descriptor_pool.Default()
    found = []
    for service_name in CLUSTERS:
        for method in pool.FindServiceByName(service_name).methods:
            found += [Case(method, path) for path in _enum_paths(method.input_type)]
    return found


CASES = cases()


def test_the_walk_finds_the_enum_fields_issue_11_names() -> None:
    labels = {case.label for case in CASES}
    assert {
        "AdminService.UpdateFraudReport:report.status",
        "AnchorService.ListAnchors:state",
        "AdminService.ListSuspiciousScans:verdict",
        "AdminService.ExportScans:verdict",
    } <= labels


async def _call(channel: grpc.aio.Channel, case: Case, metadata: tuple[tuple[str, str], ...]) -> None:
    method = case.method
    full_name = f"/{method.containing_service.full_name}/{method.name}"
    request = case.request()
    serialize, parse = type(request).SerializeToString, message_factory.GetMessageClass(method.output_type).FromString
    if method.client_streaming:

        async def one() -> AsyncIterator[Message]:
            yield request

        factory = channel.stream_stream if method.server_streaming else channel.stream_unary
        call = factory(full_name, request_serializer=serialize, response_deserializer=parse)(
            one(), metadata=metadata, timeout=10
        )
    else:
        factory = channel.unary_stream if method.server_streaming else channel.unary_unary
        call = factory(full_name, request_serializer=serialize, response_deserializer=parse)(
            request, metadata=metadata, timeout=10
        )
    if method.server_streaming:
        async for _ in call:
            pass
    else:
        await call


@pytest.mark.parametrize("via", ["envoy", "service"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.label)
async def test_unknown_enum_number_is_invalid_argument_naming_the_field(
    mesh: Mesh, admin_token: str, case: Case, via: str
) -> None:
    port = mesh.port if via == "envoy" else mesh.grpc_ports[CLUSTERS[case.method.containing_service.full_name]]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _call(channel, case, (("authorization", f"Bearer {admin_token}"),))
    error = caught.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{error.code()}: {error.details()}"
    assert error_reason(error) == "INVALID_FIELD"
    assert grpc_violations(error) == {case.field: f"{UNKNOWN} is not a known value"}
