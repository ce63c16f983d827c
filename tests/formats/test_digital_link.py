"""GS1 Digital Link: batches with GS1 keys print Digital Link URIs, and the mesh resolves them through Envoy."""

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import segno

from voketag import gs1

GTIN_13 = "9506000134352"  # GS1's example GTIN, check digit 2
GTIN_14 = "09506000134352"
OTHER_GTIN = "04006381333931"
LINKSET = "application/linkset+json"
CreateBatch = Callable[..., Awaitable[dict[str, Any]]]


async def products(admin: httpx.AsyncClient, batch_id: str) -> list[dict[str, Any]]:
    reply = await admin.get(f"/v1/batches/{batch_id}/products", params={"view": "PRODUCT_VIEW_FULL"})
    assert reply.status_code == 200, reply.text
    return reply.json()["products"]


def local(link: str) -> str:
    """The printed link's path and query, to request from the test's Envoy."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def scans(db: asyncpg.Pool, product_id: str) -> int:
    return await db.fetchval("SELECT count(*) FROM scans WHERE product_id = $1", product_id)


async def test_batch_with_gtin_prints_digital_links(
    gateway: str, admin: httpx.AsyncClient, create_batch: CreateBatch
) -> None:
    batch = await create_batch(gtin=GTIN_13, lot="L-7a", expiryDate="2027-12-31")
    assert (batch["gtin"], batch["lot"], batch["expiryDate"]) == (GTIN_14, "L-7a", "2027-12-31")
    assert batch["linkPattern"] == f"{gateway.upper()}/01/{GTIN_14}/10/L-7a/21/{{serial}}?17=271231&VT={{token}}"
    first = (await products(admin, batch["id"]))[0]
    serial, token = first["serial"], first["token"]
    assert first["link"] == f"{gateway.upper()}/01/{GTIN_14}/10/L-7a/21/{serial}?17=271231&VT={token}"
    assert first["gs1ElementString"] == f"(01){GTIN_14}(17)271231(10)L-7a(21){serial}"
    # The basic view has no token and no link, but the element string is no secret.
    basic = (await admin.get(f"/v1/products/{first['id']}")).json()["product"]
    assert (basic["token"], basic["link"], basic["gs1ElementString"]) == ("", "", first["gs1ElementString"])


async def test_batch_without_gtin_keeps_r_links(
    gateway: str, admin: httpx.AsyncClient, create_batch: CreateBatch
) -> None:
    batch = await create_batch()
    first = (await products(admin, batch["id"]))[0]
    assert batch["gtin"] == "" and first["gs1ElementString"] == ""
    assert first["link"] == f"{gateway.upper()}/R/{first['token']}"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"gtin": "09506000134353"}, "gtin"),  # check digit 3 instead of 2
        ({"gtin": "950600013435"}, "gtin"),  # 12 digits, wrong check digit
        ({"gtin": "0950600013435X"}, "gtin"),
        ({"gtin": GTIN_13, "lot": "L 1"}, "lot"),  # a space is outside GS1 character set 82
        ({"gtin": GTIN_13, "lot": "L" * 21}, "lot"),
        ({"gtin": GTIN_13, "expiryDate": "2027-02-30"}, "expiry_date"),
        ({"gtin": GTIN_13, "expiryDate": "2099-01-01"}, "expiry_date"),
        ({"lot": "L1"}, "gtin"),
    ],
)
async def test_bad_gs1_keys_are_refused(
    admin: httpx.AsyncClient, db: asyncpg.Pool, factory_id: str, fields: dict[str, str], field: str
) -> None:
    body = {"requestId": f"gs1-{field}-{len(fields)}", "factoryId": factory_id, "sku": "S", "productLine": "W"}
    reply = await admin.post("/v1/batches", json={**body, "quantity": 1, **fields})
    assert reply.status_code == 400, reply.text
    violations = next(d for d in reply.json()["details"] if "fieldViolations" in d)["fieldViolations"]
    assert violations[0]["field"] == field
    assert await db.fetchval("SELECT count(*) FROM batches WHERE factory_id = $1", factory_id) == 0


async def test_browser_gets_the_verified_page(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, db: asyncpg.Pool, create_batch: CreateBatch
) -> None:
    batch = await create_batch(gtin=GTIN_14)
    first = (await products(admin, batch["id"]))[0]
    reply = await client.get(local(first["link"]), headers={"accept": "text/html"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/html")
    assert "Genuine product" in reply.text
    assert "content-security-policy" in reply.headers and "grpc-status" not in reply.headers
    assert await scans(db, first["id"]) == 1
    # Both link forms verify the same product the same way.
    again = await client.get(f"/r/{first['token']}")
    assert "Genuine product" in again.text
    assert await scans(db, first["id"]) == 2


async def test_linkset_lists_page_verification_and_proof(
    gateway: str, admin: httpx.AsyncClient, client: httpx.AsyncClient, db: asyncpg.Pool, create_batch: CreateBatch
) -> None:
    batch = await create_batch(gtin=GTIN_14, lot="LOT1")
    first = (await products(admin, batch["id"]))[0]
    token, serial = first["token"], first["serial"]
    by_accept = await client.get(local(first["link"]), headers={"accept": LINKSET})
    by_link_type = await client.get(local(first["link"]) + "&linkType=all")
    for reply in (by_accept, by_link_type):
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"] == LINKSET
        (entry,) = reply.json()["linkset"]
        assert entry["anchor"] == f"{gateway}/01/{GTIN_14}/10/LOT1/21/{serial}"
        assert entry["https://gs1.org/voc/pip"][0]["href"] == f"{gateway}/r/{token}"
        assert entry["https://gs1.org/voc/verificationService"][0]["href"] == (f"{gateway}/api/verify/{token}")
        assert "https://voketag.io/voc/merkleProof" not in entry  # not anchored yet
    # A linkset is no scan.
    assert await scans(db, first["id"]) == 0
    await db.execute("UPDATE batches SET state = 'ANCHORED' WHERE id = $1", batch["id"])
    entry = (await client.get(local(first["link"]), headers={"accept": LINKSET})).json()["linkset"][0]
    assert entry["https://voketag.io/voc/merkleProof"][0]["href"] == f"{gateway}/v1/merkle/proof?token={token}"


async def test_verification_service_redirects_to_verify(
    gateway: str, admin: httpx.AsyncClient, client: httpx.AsyncClient, create_batch: CreateBatch
) -> None:
    batch = await create_batch(gtin=GTIN_14)
    first = (await products(admin, batch["id"]))[0]
    reply = await client.get(local(first["link"]) + "&linkType=gs1:verificationService")
    assert reply.status_code == 307, reply.text
    location = reply.headers["location"]
    assert location == f"{gateway}/api/verify/{first['token']}"
    verified = await client.get(urlsplit(location).path)
    assert verified.status_code == 200, verified.text
    assert verified.json()["verdict"] == "VERDICT_AUTHENTIC"
    pip = await client.get(local(first["link"]) + "&linkType=https://gs1.org/voc/pip")
    assert (pip.status_code, pip.headers["location"]) == (307, f"{gateway}/r/{first['token']}")


async def test_link_without_token_is_never_authentic(
    gateway: str, admin: httpx.AsyncClient, client: httpx.AsyncClient, db: asyncpg.Pool, create_batch: CreateBatch
) -> None:
    batch = await create_batch(gtin=GTIN_14)
    first = (await products(admin, batch["id"]))[0]
    bare = f"/01/{GTIN_14}/21/{first['serial']}"
    page = await client.get(bare)
    assert page.status_code == 200, page.text
    assert "Product information" in page.text and "Genuine" not in page.text
    assert "Watches" in page.text
    entry = (await client.get(bare, headers={"accept": LINKSET})).json()["linkset"][0]
    assert "https://gs1.org/voc/verificationService" not in entry
    assert entry["https://gs1.org/voc/pip"][0]["href"] == f"{gateway}{bare}"
    refused = await client.get(bare + "?linkType=gs1:verificationService")
    assert refused.status_code == 404, refused.text
    assert await scans(db, first["id"]) == 0


async def test_token_of_another_product_is_invalid_here(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, db: asyncpg.Pool, create_batch: CreateBatch
) -> None:
    mine = (await products(admin, (await create_batch(gtin=GTIN_14))["id"]))[0]
    other = (await products(admin, (await create_batch(gtin=OTHER_GTIN))["id"]))[0]
    # The other product's genuine token, pasted into a link that names this product (or its serial under
    # this product's GTIN): invalid, and not recorded against either product.
    for path in (f"/01/{GTIN_14}/21/{mine['serial']}", f"/01/{GTIN_14}/21/{other['serial']}"):
        reply = await client.get(f"{path}?VT={other['token']}")
        assert reply.status_code == 200, reply.text
        assert "Not a genuine code" in reply.text
        entry = (await client.get(f"{path}?VT={other['token']}&linkType=all")).json()["linkset"][0]
        assert "https://gs1.org/voc/verificationService" not in entry
    assert await scans(db, mine["id"]) == 0 and await scans(db, other["id"]) == 0


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/01/09506000134353/21/1", "01"),  # bad check digit
        ("/01/0950600013435/21/1", "01"),  # 13 digits that are no GTIN-13 (check digit)
        ("/01/09506000134352/21/1/10/L1", "path"),  # qualifiers out of order
        ("/01/09506000134352/21/1/21/2", "path"),
        ("/01/09506000134352", "path"),  # no serial
        ("/01/09506000134352/21/A%20B", "path"),  # a space is no AI 21 character
        ("/01/09506000134352/21/A%ZZ", "path"),  # broken percent-encoding
        ("/01/09506000134352/21/%C3", "path"),  # not UTF-8
        ("/01/09506000134352/21/1?17=271399", "path"),  # month 13
        ("/01/09506000134352/21/1?VT=A&VT=B", "query"),
        ("/01/09506000134352/21/1?17=27%1", "query"),  # broken percent-encoding in the query
    ],
)
async def test_malformed_links_are_400(client: httpx.AsyncClient, path: str, field: str) -> None:
    reply = await client.get(path)
    assert reply.status_code == 400, reply.text
    body = reply.json()
    violations = [v for d in body["details"] for v in d.get("fieldViolations", ())]
    if violations:
        assert violations[0]["field"] == field
    else:  # Envoy's own 400 (non-ASCII keys) in the gateway's error format: the message names the field
        assert body["message"].startswith(f"{field}: "), body


async def test_unknown_products_and_link_types_are_404(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, create_batch: CreateBatch
) -> None:
    first = (await products(admin, (await create_batch(gtin=GTIN_14, lot="LOT1"))["id"]))[0]
    for path in (
        f"/01/{OTHER_GTIN}/21/{first['serial']}",  # right serial, wrong GTIN
        f"/01/{GTIN_14}/10/LOT2/21/{first['serial']}",  # wrong lot
        f"/01/{GTIN_14}/21/ABC",  # a GS1 serial that is none of ours
        f"/01/{GTIN_14}/10/LOT1/21/{first['serial']}?linkType=gs1:recipeInfo",
    ):
        reply = await client.get(path)
        assert reply.status_code == 404, (path, reply.text)


def test_longest_link_fits_qr_version_8_at_level_m() -> None:
    """The longest printed link: a 20-character host, the longest lot, an expiry and a 20-digit serial."""
    keys = gs1.Keys(GTIN_14, "L" * 20, date(2027, 12, 31))
    longest = gs1.link("https://vtag.example", keys, 2**64 - 1, "A" * 34)
    assert len(longest) == 134
    assert segno.make(longest, error="m", micro=False).version == 8
    without_lot = gs1.link("https://vtag.example", gs1.Keys(GTIN_14), 2**64 - 1, "A" * 34)
    assert segno.make(without_lot, error="m", micro=False).version == 6


async def test_rate_limited_browser_gets_the_waiting_page(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, create_batch: CreateBatch
) -> None:
    """As on /r/: past the per-code limit (burst 60) a browser gets HTML with 429 and Retry-After, never JSON."""
    first = (await products(admin, (await create_batch(gtin=GTIN_14))["id"]))[0]
    for _ in range(80):
        reply = await client.get(local(first["link"]), headers={"accept": "text/html"})
        if reply.status_code == 429:
            break
        assert reply.status_code == 200, reply.text
    assert reply.status_code == 429, "the per-code limit never answered"
    assert reply.headers["content-type"].startswith("text/html")
    assert int(reply.headers["retry-after"]) >= 1
    assert "x-voketag-page" not in reply.headers and "x-voketag-retry-after" not in reply.headers


async def test_csv_export_prints_the_digital_links(admin: httpx.AsyncClient, create_batch: CreateBatch) -> None:
    batch = await create_batch(gtin=GTIN_14, lot="L9")
    listed = {p["id"]: p["link"] for p in await products(admin, batch["id"])}
    reply = await admin.get("/v1/export/csv", params={"batchId": batch["id"], "view": "PRODUCT_VIEW_FULL"})
    assert reply.status_code == 200, reply.text
    header, *rows, trailer = list(csv.reader(io.StringIO(reply.text)))
    assert trailer == ["#rows=2"]
    exported = {row[header.index("product_id")]: row[header.index("link")] for row in rows}
    assert exported == listed and all("/01/09506000134352/10/L9/21/" in link for link in exported.values())
