"""Streamed CSV (or .xlsx) exports: a server-side cursor feeds fixed-size chunks, so memory stays flat at any
row count.

Every cell that a spreadsheet would read as a formula (OWASP: leading = + - @ tab CR NUL) is prefixed with a
single quote. The last line is "#rows=<n>": a client that misses it knows the stream was cut. The .xlsx form
(voketag.xlsx) holds the same cells and the same last row.
"""

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar

import asyncpg

from admin_svc import storage_identity, storage_review
from admin_svc.model import ReportExportRow, ReportFilter, ScanExportRow, ScanFilter, UserExportRow
from admin_svc.usecases_review import checked
from voketag import audit, xlsx
from voketag.db import Connection

CHUNK_BYTES = 64 * 1024
MAX_SCAN_ROWS = 5_000_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")

USER_COLUMNS = UserExportRow._fields
SCAN_COLUMNS = ScanExportRow._fields
REPORT_COLUMNS = ReportExportRow._fields

Row = TypeVar("Row")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


async def _csv(rows: AsyncIterator[Iterable[Any]], header: Iterable[str]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180; also quotes cells holding CR or LF
    writer.writerow(header)
    count = 0
    async for row in rows:
        writer.writerow([cell(value) for value in row])
        count += 1
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    buffer.write(f"#rows={count}\r\n")
    yield buffer.getvalue().encode()


async def _xlsx(rows: AsyncIterator[Iterable[Any]], header: Iterable[str], title: str) -> AsyncIterator[bytes]:
    sheet = xlsx.SheetWriter(title, list(header))
    async for row in rows:
        sheet.add([cell(value) for value in row])
    async for chunk in sheet.chunks():
        yield chunk


def _encoded(
    rows: AsyncIterator[Iterable[Any]], header: Iterable[str], title: str, as_xlsx: bool
) -> AsyncIterator[bytes]:
    return _xlsx(rows, header, title) if as_xlsx else _csv(rows, header)


async def _rows(pool: asyncpg.Pool, read: Callable[[Connection], AsyncIterator[Row]]) -> AsyncIterator[Row]:
    # One consistent snapshot for the whole export.
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        async for row in read(conn):
            yield row


def _texts(filters: dict[str, Any]) -> dict[str, str]:
    """Filters as the audit entry shows them: '' for "not filtered"."""
    return {name: "" if value is None else cell(value) for name, value in filters.items()}


async def _audited(
    pool: asyncpg.Pool, kind: str, filters: dict[str, str], chunks: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """Record the export (who, what, which filters) before its first byte leaves: a cut stream is still on record."""
    async with pool.acquire() as conn, conn.transaction():
        await audit.record(conn, "export", kind, filters)
    async for chunk in chunks:
        yield chunk


def users_csv(
    pool: asyncpg.Pool, role: str, factory_id: Any, active: bool | None, as_xlsx: bool = False
) -> AsyncIterator[bytes]:
    filters = _texts({"role": role, "factory_id": factory_id, "active": active})
    rows = _rows(pool, lambda conn: storage_identity.user_export_rows(conn, role, factory_id, active))
    return _audited(pool, "users", filters, _encoded(rows, USER_COLUMNS, "users", as_xlsx))


def scans_csv(pool: asyncpg.Pool, scans: ScanFilter, as_xlsx: bool = False) -> AsyncIterator[bytes]:
    rows = _rows(pool, lambda conn: storage_review.scan_export_rows(conn, checked(scans), MAX_SCAN_ROWS))
    return _audited(pool, "scans", _texts(vars(scans)), _encoded(rows, SCAN_COLUMNS, "scans", as_xlsx))


def reports_csv(
    pool: asyncpg.Pool, status: str, factory_id: Any, batch_id: Any, show_contact: bool, as_xlsx: bool = False
) -> AsyncIterator[bytes]:
    """Fraud reports, newest first. The reporter's contact is personal data: masked unless ``show_contact``;
    no token (not even a counterfeit's text) leaves in an export."""
    reports = ReportFilter(status, factory_id, None, batch_id)
    rows = _rows(pool, lambda conn: storage_review.report_export_rows(conn, reports, show_contact, MAX_SCAN_ROWS))
    filters = _texts({"status": status, "factory_id": factory_id, "batch_id": batch_id})
    return _audited(pool, "fraud_reports", filters, _encoded(rows, REPORT_COLUMNS, "fraud reports", as_xlsx))
