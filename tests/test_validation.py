"""The shared field rules (voketag.validation): the rules themselves, then each seen 500 through Envoy, as REST and
as native gRPC, answered INVALID_ARGUMENT with ErrorInfo and the field named, before or after authentication."""

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devmesh.mesh import Mesh
from tests.support import error_reason
from voketag.admin.v1 import admin_service_pb2 as admin_pb
from voketag.admin.v1 import admin_service_pb2_grpc as admin_rpc
from voketag.errors import InvalidArgument
from voketag.factory.v1 import factory_service_pb2 as factory_pb
from voketag.factory.v1 import factory_service_pb2_grpc as factory_rpc
from voketag.scan.v1 import scan_service_pb2 as scan_pb
from voketag.validation import BIGINT_MAX, Undecodable, bad_utf8_field, check, violations

# --- the rules (no mesh) ----------------------------------------------------------------------------------------


def test_nul_is_found_in_nested_repeated_and_map_fields() -> None:
    request = factory_pb.CreateBatchRequest(request_id="ok", sku="a\x00b", metadata={"color": "red\x00", "k\x00": "v"})
    found = violations(request)
    assert found == {
        "sku": "must not contain NUL characters",
        "metadata['color']": "must not contain NUL characters",
        "metadata.key": "must not contain NUL characters",
    }


def test_unknown_enum_numbers_are_found_known_ones_pass() -> None:
    bad = admin_pb.UpdateFraudReportRequest(report=admin_pb.FraudReport(id="r", status=999))
    assert violations(bad) == {"report.status": "999 is not a known value"}
    good = admin_pb.UpdateFraudReportRequest(report=admin_pb.FraudReport(id="r", status=1))
    assert violations(good) == {}


def test_unsigned_integers_must_fit_bigint() -> None:
    assert violations(scan_pb.VerifyLedgerRequest(from_sequence=BIGINT_MAX)) == {}
    assert set(violations(scan_pb.VerifyLedgerRequest(from_sequence=BIGINT_MAX + 1, to_sequence=2**64 - 1))) == {
        "from_sequence",
        "to_sequence",
    }


def test_bad_utf8_is_located_on_the_wire() -> None:
    # UpdateFraudReportRequest{report: {id: <0xff>}} written by hand: the runtime refuses to serialize it.
    inner = b"\x0a\x01\xff"  # field 1 (id), length 1, byte 0xff
    data = b"\x0a" + bytes([len(inner)]) + inner  # field 1 (report)
    assert bad_utf8_field(admin_pb.UpdateFraudReportRequest.DESCRIPTOR, data) == "report.id"
    with pytest.raises(InvalidArgument) as caught:
        check(Undecodable("report.id"))
    assert caught.value.fields == {"report.id": "must be valid UTF-8"}
    # wire data cut short: no field to blame
    assert bad_utf8_field(admin_pb.UpdateFraudReportRequest.DESCRIPTOR, data[:-1]) is None
    with pytest.raises(InvalidArgument) as caught:
        check(Undecodable(""))
    assert caught.value.reason == "REQUEST_MALFORMED" and not caught.value.fields


def test_check_names_every_field_in_bad_request() -> None:
    with pytest.raises(InvalidArgument) as caught:
        check(admin_pb.LoginRequest(email="a\x00@b.c", password="p\x00"))
    assert caught.value.reason == "INVALID_FIELD"
    assert set(caught.value.fields) == {"email", "password"}


# --- through Envoy ------------------------------------------------------------------------------------------------


def bad_request_fields(reply: httpx.Response) -> dict[str, str]:
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["code"] == 3
    infos = [d for d in body["details"] if d["@type"].endswith("ErrorInfo")]
    assert [info["reason"] for info in infos] == ["INVALID_FIELD"]
    (bad,) = [d for d in body["details"] if d["@type"].endswith("BadRequest")]
    return {v["field"]: v["description"] for v in bad["fieldViolations"]}


@pytest.mark.parametrize(
    ("path", "field"),
    [("/v1/admin/users/%ff", "id"), ("/r/%ff", "token"), ("/v1/merkle/proof/%ed%a0%80", "id")],
)
def test_invalid_utf8_in_path_is_400_naming_the_field(gateway: str, admin_token: str, path: str, field: str) -> None:
    reply = httpx.get(f"{gateway}{path}", headers={"authorization": f"Bearer {admin_token}"})
    assert bad_request_fields(reply) == {field: "must be valid UTF-8"}
    assert "DecodeError" not in reply.text and "voketag." not in reply.json()["message"]


def test_anonymous_malformed_call_is_401_not_500(gateway: str) -> None:
    reply = httpx.get(f"{gateway}/v1/admin/users/%ff")
    assert reply.status_code == 401


def test_nul_in_a_public_string_field_is_400(gateway: str) -> None:
    reply = httpx.post(f"{gateway}/v1/auth/login", json={"email": "a\u0000@example.com", "password": "x" * 12})
    assert bad_request_fields(reply) == {"email": "must not contain NUL characters"}


def test_unknown_enum_number_in_body_is_400(gateway: str, admin_token: str) -> None:
    reply = httpx.patch(
        f"{gateway}/v1/admin/fraud/reports/0190f0e0-0000-7000-8000-000000000000",
        json={"status": 999},
        headers={"authorization": f"Bearer {admin_token}"},
    )
    assert bad_request_fields(reply) == {"report.status": "999 is not a known value"}


def test_uint64_beyond_bigint_is_400(gateway: str, admin_token: str) -> None:
    reply = httpx.get(
        f"{gateway}/v1/ledger:verify",
        params={"fromSequence": str(2**64 - 1)},
        headers={"authorization": f"Bearer {admin_token}"},
    )
    assert bad_request_fields(reply) == {"from_sequence": f"must be at most {BIGINT_MAX}"}


async def test_native_grpc_bad_utf8_is_invalid_argument(mesh: Mesh) -> None:
    """Raw bytes a generated client would never send, through Envoy's gRPC port."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.port}") as channel:
        call = channel.unary_unary(
            "/voketag.scan.v1.ScanService/VerifyToken",
            request_serializer=lambda raw: raw,
            response_deserializer=scan_pb.VerifyTokenResponse.FromString,
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(b"\x0a\x02\xc3\x28", timeout=5)  # token = an invalid 2-byte UTF-8 sequence
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(caught.value) == "INVALID_FIELD"
    assert grpc_violations(caught.value) == {"token": "must be valid UTF-8"}


def grpc_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert any(detail.Unpack(bad) for detail in status.details)
    return {violation.field: violation.description for violation in bad.field_violations}


async def test_native_grpc_streams_are_checked_too(mesh: Mesh, admin_token: str) -> None:
    """A server stream is refused before its first message; a client stream at the message that breaks a rule."""
    metadata = (("authorization", f"Bearer {admin_token}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.port}") as channel:
        export = admin_rpc.AdminServiceStub(channel).ExportScans(
            admin_pb.ExportScansRequest(verdict=99), metadata=metadata, timeout=10
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in export:
                pass
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert grpc_violations(caught.value) == {"verdict": "99 is not a known value"}

        upload = [factory_pb.ImportCsvRequest(batch_id="b\x00", request_id="r-1", sku="SKU-1", product_line="L")]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await factory_rpc.FactoryServiceStub(channel).ImportCsv(iter(upload), metadata=metadata, timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert grpc_violations(caught.value) == {"batch_id": "must not contain NUL characters"}
