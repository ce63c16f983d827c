"""Excel exports through Envoy: the same cells and row count as the CSV exports, never a formula."""

import csv
import io
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from openpyxl import load_workbook

from voketag.auth import Role, TokenSigner

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CreateBatch = Callable[..., Awaitable[dict[str, Any]]]


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def sheet_rows(body: bytes) -> list[list[str]]:
    """Every cell as text; fails when a cell is anything but a text cell (a formula, a number)."""
    book = load_workbook(io.BytesIO(body), read_only=True)
    (sheet,) = book.worksheets
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.value is None or cell.data_type == "s", (cell.value, cell.data_type)
        rows.append(["" if cell.value is None else cell.value for cell in row])
    book.close()
    return rows


async def both(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> tuple[list[list[str]], list[list[str]]]:
    as_csv = await client.get(path, params=params)
    as_xlsx = await client.get(path, params={**params, "format": "EXPORT_FORMAT_XLSX"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["content-type"] == XLSX
    return csv_rows(as_csv.content), sheet_rows(as_xlsx.content)


async def test_batch_export_as_xlsx(admin: httpx.AsyncClient, factory_id: str) -> None:
    upload = 'external_id,colour\r\n=SUM(A1:A9),red\r\n+cmd,"bl\x01ue"\r\nplain,@x\r\n'
    params = {"factoryId": factory_id, "requestId": str(uuid.uuid4()), "sku": "X-1", "productLine": "Cups"}
    imported = await admin.post(
        "/v1/import/csv", params=params, content=upload.encode(), headers={"content-type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    batch_id = imported.json()["batchId"]
    query = {"batchId": batch_id, "view": "PRODUCT_VIEW_FULL"}
    from_csv, from_xlsx = await both(admin, "/v1/export/csv", query)
    assert from_xlsx[-1][0] == "#rows=3" == from_csv[-1][0]
    # The control character XML cannot hold is replaced; every other cell is the CSV's, in the same order.
    assert [[cell.replace("\x01", "\ufffd") for cell in row] for row in from_csv[:-1]] == [
        row[: len(from_csv[0])] for row in from_xlsx[:-1]
    ]
    header = from_xlsx[0]
    cells = {row[header.index("external_id")]: row for row in from_xlsx[1:-1]}
    assert set(cells) == {"'=SUM(A1:A9)", "'+cmd", "plain"}
    assert cells["plain"][header.index("colour")] == "'@x"
    assert cells["'+cmd"][header.index("colour")] == "bl\ufffdue"
    assert all(row[header.index("token")] for row in from_xlsx[1:-1])


async def test_bad_format_is_400(admin: httpx.AsyncClient, create_batch: CreateBatch) -> None:
    batch = await create_batch()
    reply = await admin.get("/v1/export/csv", params={"batchId": batch["id"], "format": "EXPORT_FORMAT_PDF"})
    assert reply.status_code == 400, reply.text
    numeric = await admin.get("/v1/export/csv", params={"batchId": batch["id"], "format": "7"})
    assert numeric.status_code == 400, numeric.text


async def test_users_export_as_xlsx(admin: httpx.AsyncClient, db: asyncpg.Pool, factory_id: str) -> None:
    await db.execute(
        """INSERT INTO users (id, email, display_name, role, factory_id)
           VALUES ($1, $2, '=HYPERLINK("http://evil.example")', 'operator', $3)""",
        uuid.uuid4(),
        f"{uuid.uuid4().hex[:8]}@example.com",
        factory_id,
    )
    from_csv, from_xlsx = await both(admin, "/v1/admin/export/users", {"factoryId": factory_id})
    assert from_xlsx == from_csv
    assert from_xlsx[0][:3] == ["id", "email", "display_name"]
    assert from_xlsx[1][2] == '\'=HYPERLINK("http://evil.example")'
    assert from_xlsx[1][3] == "ROLE_OPERATOR"
    assert from_xlsx[-1] == ["#rows=1"]


async def test_scans_export_as_xlsx(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, create_batch: CreateBatch
) -> None:
    batch = await create_batch()
    products = (await admin.get(f"/v1/batches/{batch['id']}/products", params={"view": "PRODUCT_VIEW_FULL"})).json()
    for product in products["products"]:
        verified = await client.post(f"/api/verify/{product['token']}", json={})
        assert verified.status_code == 200, verified.text
    from_csv, from_xlsx = await both(admin, "/v1/admin/export/scans", {"batchId": batch["id"]})
    assert from_xlsx == from_csv
    assert from_xlsx[-1] == ["#rows=2"]
    assert {row[3] for row in from_xlsx[1:-1]} == {batch["id"]}


async def test_fraud_report_export_masks_contact_and_audits(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    gateway: str,
    signer: TokenSigner,
    db: asyncpg.Pool,
    create_batch: CreateBatch,
) -> None:
    batch = await create_batch()
    products = (await admin.get(f"/v1/batches/{batch['id']}/products", params={"view": "PRODUCT_VIEW_FULL"})).json()
    token = products["products"][0]["token"]
    filed = await client.post(
        "/api/fraud/report",
        json={"token": token, "contact": "buyer@example.com", "description": "=cmd|' /C calc'!A0 looks fake"},
    )
    assert filed.status_code == 200, filed.text
    params = {"batchId": batch["id"]}
    from_csv, from_xlsx = await both(admin, "/v1/admin/export/fraud-reports", params)
    assert from_xlsx == from_csv
    header = from_xlsx[0]
    (report,) = from_xlsx[1:-1]
    assert report[header.index("id")] == filed.json()["reportId"]
    assert report[header.index("description")] == "'=cmd|' /C calc'!A0 looks fake"
    assert report[header.index("contact")] == "buyer@example.com"
    assert token not in "".join(report)
    assert from_xlsx[-1] == ["#rows=1"]
    auditor = {"authorization": f"Bearer {signer.mint('auditor-x', Role.AUDITOR)}"}
    async with httpx.AsyncClient(base_url=gateway, headers=auditor, timeout=30) as as_auditor:
        _, seen = await both(as_auditor, "/v1/admin/export/fraud-reports", params)
    assert seen[1][header.index("contact")] == "***"
    exports = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE object_type = 'export' AND object_id = 'fraud_reports'"
        " AND details->>'batch_id' = $1",
        batch["id"],
    )
    assert exports == 4  # two formats, two callers


@pytest.mark.parametrize("path", ["/v1/admin/export/fraud-reports", "/v1/admin/export/users"])
async def test_exports_need_staff(gateway: str, signer: TokenSigner, factory_id: str, path: str) -> None:
    operator = {"authorization": f"Bearer {signer.mint('op-x', Role.OPERATOR, factory_id=factory_id)}"}
    async with httpx.AsyncClient(base_url=gateway, headers=operator, timeout=30) as as_operator:
        reply = await as_operator.get(path, params={"format": "EXPORT_FORMAT_XLSX"})
    assert reply.status_code == 403, reply.text
