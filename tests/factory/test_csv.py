"""CSV import (gRPC stream and raw HTTP body through Envoy) and streamed export."""

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterable

import asyncpg
import grpc
import httpx
import pytest

from devmesh.mesh import Mesh
from factory_svc.csvio import EXPORT_COLUMNS
from tests.factory.conftest import Callers, Isolated
from tests.support import error_reason, json_reason
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag.tokens import KeyRing

TRICKY = ["=SUM(A1:A9)", "+49 151", "-5", "@cmd", "'quoted", "comma, inside", 'say "hi"', "plain-1"]


async def upload(chunks: Iterable[bytes], **first: str) -> AsyncIterator[pb.ImportCsvRequest]:
    for n, chunk in enumerate(chunks):
        fields = first if n == 0 else {}
        yield pb.ImportCsvRequest(chunk={"content_type": "text/csv", "data": chunk}, **fields)


def new_batch_fields(factory_id: str = "") -> dict[str, str]:
    fields = {"request_id": str(uuid.uuid4()), "sku": "CSV-1", "product_line": "Shoes"}
    return {**fields, "factory_id": factory_id} if factory_id else fields


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def export(stub: rpc.FactoryServiceStub, batch_id: str, md) -> bytes:
    request = pb.ExportCsvRequest(batch_id=batch_id, view=pb.PRODUCT_VIEW_FULL)
    chunks = [chunk async for chunk in stub.ExportCsv(request, metadata=md)]
    assert chunks[0].content_type == "text/csv; charset=utf-8"
    return b"".join(chunk.data for chunk in chunks)


async def test_import_creates_a_batch_from_a_good_file_split_anywhere(
    stub: rpc.FactoryServiceStub, callers: Callers, db: asyncpg.Pool
) -> None:
    body = io.StringIO()
    writer = csv.writer(body, lineterminator="\r\n")
    writer.writerow(["external_id", "color", "note"])
    for n in range(1000):
        writer.writerow([f"E-{n}", "red" if n % 2 else "", "multi\nline" if n == 500 else f"n{n}"])
    data = "\ufeff".encode() + body.getvalue().encode()
    # 7-byte chunks cut through the BOM, quotes, CRLFs and the multi-line cell.
    reply = await stub.ImportCsv(upload(split(data, 7), **new_batch_fields()), metadata=callers.service_a)
    assert reply.batch_created and reply.rows_imported == 1000 and reply.bytes_received == len(data)
    rows = await db.fetch(
        "SELECT external_id, metadata::text, leaf_index FROM products WHERE batch_id = $1 ORDER BY leaf_index",
        uuid.UUID(reply.batch_id),
    )
    assert [row["external_id"] for row in rows] == [f"E-{n}" for n in range(1000)]
    assert rows[1]["metadata"] == '{"note": "n1", "color": "red"}' and rows[0]["metadata"] == '{"note": "n0"}'
    assert '"multi\\nline"' in rows[500]["metadata"]
    batch = await stub.GetBatch(pb.GetBatchRequest(id=reply.batch_id), metadata=callers.operator_a)
    assert batch.batch.quantity == 1000 and batch.batch.factory_id == callers.factory_a
    retry = await stub.ImportCsv(
        upload(split(data, 4096), **{**new_batch_fields(), "request_id": batch.batch.request_id}),
        metadata=callers.service_a,
    )
    assert retry.batch_id == reply.batch_id


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        # 100,000 lines; line 99,999 is bad.
        (b"external_id\n" + b"".join(b"E%d\n" % n for n in range(99_997)) + b"\x01bad\nlast\n", 99_999, "external_id"),
        (b"external_id,color\nA,red\nB\n", 3, ""),
        (b"external_id\nA\nA\n", 3, "external_id"),
        (b"external_id,Bad-Col\nA,x\n", 1, "Bad-Col"),
        (b"sku\nA\n", 1, "external_id"),
        (b'external_id\n"unterminated\n', 2, ""),
        (b"external_id\nA\n#rows=5\n", 3, ""),
    ],
)
async def test_a_bad_row_anywhere_writes_nothing_and_names_line_and_column(
    stub: rpc.FactoryServiceStub, callers: Callers, db: asyncpg.Pool, content: bytes, line: int, column: str
) -> None:
    fields = new_batch_fields()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ImportCsv(upload(split(content, 64 * 1024), **fields), metadata=callers.operator_a)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(refused.value) == "CSV_INVALID"
    assert f"line {line}" in refused.value.details()
    assert column in refused.value.details()
    assert await db.fetchval("SELECT count(*) FROM batches WHERE request_id = $1", fields["request_id"]) == 0
    assert await db.fetchval("SELECT count(*) FROM products WHERE external_id = 'E99996'") == 0


async def test_oversize_upload_is_refused_while_streaming(stub: rpc.FactoryServiceStub, callers: Callers) -> None:
    """The upload crosses 64 MiB and then stalls without ending: only a service that counts bytes as they
    arrive can answer (one that waits for the end of the stream would run into the deadline)."""

    async def crossing_then_stalled() -> AsyncIterator[pb.ImportCsvRequest]:
        yield pb.ImportCsvRequest(chunk={"data": b"external_id\n"}, **new_batch_fields())
        for n in range(64):
            rows = b"".join(b"%08d-%06d%s\n" % (n, row, b"E" * 112) for row in range(8192))  # 1 MiB
            yield pb.ImportCsvRequest(chunk={"data": rows})
        await asyncio.Event().wait()

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ImportCsv(crossing_then_stalled(), metadata=callers.operator_a, timeout=120)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(refused.value) == "CSV_TOO_LARGE"


async def test_chunk_over_4_mib_is_refused(stub: rpc.FactoryServiceStub, callers: Callers) -> None:
    # gRPC's own 4 MiB message limit answers before the handler sees the chunk.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ImportCsv(
            upload([b"external_id\n" + b"A\n" * (2 << 20) + b"B\n"], **new_batch_fields()),
            metadata=callers.operator_a,
        )
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_export_neutralises_formulas_ends_with_row_count_and_round_trips(
    stub: rpc.FactoryServiceStub, callers: Callers, mesh: Mesh
) -> None:
    body = "external_id\r\n" + "".join(f'"{value.replace(chr(34), chr(34) * 2)}"\r\n' for value in TRICKY)
    first = await stub.ImportCsv(upload([body.encode()], **new_batch_fields()), metadata=callers.operator_a)
    exported = await export(stub, first.batch_id, callers.operator_a)
    text = exported.decode()
    assert text.endswith(f"#rows={len(TRICKY)}\r\n")
    rows = list(csv.reader(io.StringIO(text.rsplit("#rows=", 1)[0])))
    assert rows[0] == [*EXPORT_COLUMNS]
    assert EXPORT_COLUMNS[:7] == ("product_id", "serial", "external_id", "token", "link", "lifecycle", "created_at")
    cells = [row[2] for row in rows[1:]]
    assert cells[:4] == ["'=SUM(A1:A9)", "'+49 151", "'-5", "'@cmd"]
    assert cells[4:] == TRICKY[4:]
    keys = KeyRing.from_config(mesh.token_keys, 1)
    for row in rows[1:]:
        assert keys.verify(row[3]).serial == int(row[1]) and row[4].endswith("/R/" + row[3])
        assert row[5] == "RELEASED"
    # Round trip: importing the export yields the same external ids, and exporting that gives the same cells.
    second = await stub.ImportCsv(upload(split(exported, 100), **new_batch_fields()), metadata=callers.operator_a)
    assert second.rows_imported == len(TRICKY)
    again = list(csv.reader(io.StringIO((await export(stub, second.batch_id, callers.operator_a)).decode())))
    assert [row[2] for row in again[1:-1]] == cells and again[-1] == [f"#rows={len(TRICKY)}"]


async def test_import_into_an_existing_batch_appends_after_its_products(isolated: Isolated) -> None:
    stub, operator = isolated.stub, isolated.operator
    batch = await stub.CreateBatch(
        pb.CreateBatchRequest(
            request_id=str(uuid.uuid4()), sku="APP", product_line="X", quantity=3, open_for={"seconds": 3600}
        ),
        metadata=operator,
    )
    request_id = str(uuid.uuid4())
    reply = await stub.ImportCsv(
        upload([b"external_id\nX1\nX2\n"], batch_id=batch.batch.id, request_id=request_id), metadata=operator
    )
    assert not reply.batch_created and reply.rows_imported == 2
    retry = await stub.ImportCsv(
        upload([b"external_id\nX1\nX2\n"], batch_id=batch.batch.id, request_id=request_id), metadata=operator
    )
    assert retry.rows_imported == 2
    products = await stub.ListProducts(pb.ListProductsRequest(batch_id=batch.batch.id), metadata=operator)
    assert [(p.leaf_index, p.external_id) for p in products.products] == [
        (0, ""),
        (1, ""),
        (2, ""),
        (3, "X1"),
        (4, "X2"),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await stub.ImportCsv(
            upload([b"external_id\nX9\n"], batch_id=batch.batch.id, request_id=request_id), metadata=operator
        )
    assert error_reason(reused.value) == "REQUEST_ID_REUSED"


def test_http_import_and_export_through_envoy(gateway: str, callers: Callers) -> None:
    headers = {callers.operator_a[0][0]: callers.operator_a[0][1]}
    body = b"external_id,size\r\n" + b"".join(b"H-%d,%d\r\n" % (n, n % 7) for n in range(2000))

    def chunked() -> Iterable[bytes]:
        yield from split(body, 1000)

    params = {"request_id": str(uuid.uuid4()), "sku": "HTTP-1", "product_line": "Caps"}
    reply = httpx.post(
        f"{gateway}/v1/import/csv",
        params=params,
        content=chunked(),
        headers={**headers, "content-type": "text/csv"},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    result = reply.json()
    assert result["rowsImported"] == "2000" and result["batchCreated"] is True
    exported = httpx.get(
        f"{gateway}/v1/export/csv", params={"batch_id": result["batchId"]}, headers=headers, timeout=60
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[-1] == "#rows=2000" and lines[1].split(",")[2] == "H-0"
    bad = httpx.post(
        f"{gateway}/v1/import/csv",
        params={**params, "request_id": str(uuid.uuid4())},
        content=b"external_id\r\nok\r\n\x7f\r\n",
        headers={**headers, "content-type": "text/csv"},
    )
    assert bad.status_code == 400 and json_reason(bad.content) == "CSV_INVALID" and "line 3" in bad.text
    foreign = httpx.get(
        f"{gateway}/v1/export/csv",
        params={"batch_id": result["batchId"]},
        headers={"authorization": callers.operator_b[0][1]},
    )
    assert foreign.status_code == 404


def test_imported_metadata_columns_come_back_in_the_export_through_envoy(gateway: str, callers: Callers) -> None:
    headers = {callers.operator_a[0][0]: callers.operator_a[0][1]}
    csv_headers = {**headers, "content-type": "text/csv"}
    body = b"external_id,color,size\r\nM-1,red,42\r\nM-2,,40\r\nM-3,=blue,\r\n"

    def import_file(data: bytes) -> str:
        params = {"request_id": str(uuid.uuid4()), "sku": "META-1", "product_line": "Socks"}
        reply = httpx.post(f"{gateway}/v1/import/csv", params=params, content=data, headers=csv_headers, timeout=60)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["batchId"])

    def export_file(batch_id: str) -> bytes:
        reply = httpx.get(f"{gateway}/v1/export/csv", params={"batch_id": batch_id}, headers=headers, timeout=60)
        assert reply.status_code == 200, reply.text
        return reply.content

    first = import_file(body)
    exported = export_file(first)
    rows = list(csv.DictReader(io.StringIO(exported.decode().rsplit("#rows=", 1)[0])))
    assert list(rows[0]) == [*EXPORT_COLUMNS, "color", "size"]
    assert [(row["external_id"], row["color"], row["size"]) for row in rows] == [
        ("M-1", "red", "42"),
        ("M-2", "", "40"),
        ("M-3", "'=blue", ""),
    ]
    # Without view=FULL the export carries fingerprints, not tokens.
    assert all(row["token"] == "" and row["link"] == "" and len(row["token_fingerprint"]) == 16 for row in rows)

    # Round trip: the exported file imports with the same metadata, and exports the same columns again.
    second = import_file(exported)
    listed = httpx.get(f"{gateway}/v1/batches/{second}/products", headers=headers, timeout=30)
    assert listed.status_code == 200, listed.text
    assert [product.get("metadata", {}) for product in listed.json()["products"]] == [
        {"color": "red", "size": "42"},
        {"size": "40"},
        {"color": "=blue"},
    ]
    again = list(csv.DictReader(io.StringIO(export_file(second).decode().rsplit("#rows=", 1)[0])))
    assert [(row["external_id"], row["color"], row["size"]) for row in again] == [
        (row["external_id"], row["color"], row["size"]) for row in rows
    ]
