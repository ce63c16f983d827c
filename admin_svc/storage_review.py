"""asyncpg queries of suspicious scans, fraud reports and the audit log."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from admin_svc.model import (
    AuditFilter,
    AuditRow,
    ReportExportRow,
    ReportFilter,
    ReportRow,
    ScanExportRow,
    ScanFilter,
    ScanRow,
)
from voketag.db import Connection, Where, fetch_one

Conn = Connection


SCAN_COLUMNS = """s.id, s.scanned_at, s.product_id, s.batch_id, s.factory_id, p.serial, s.verdict, s.risk_score,
                  s.factors, s.country, s.device_hash, s.ledger_seq, s.latitude, s.longitude"""


def scan_where(scans: ScanFilter) -> Where:
    where = Where()
    where.add("s.risk_score >= {}", scans.min_risk)
    where.add("s.verdict = {}", scans.verdict)
    where.add("s.factory_id = {}", scans.factory_id)
    where.add("s.batch_id = {}", scans.batch_id)
    where.add("s.product_id = {}", scans.product_id)
    where.add("s.country = {}", scans.country)
    time_range(where, "s.scanned_at", scans.start, scans.end)
    return where


async def scans(conn: Conn, scans: ScanFilter, after: tuple[datetime, int] | None, limit: int) -> list[ScanRow]:
    """Newest first, keyset-paged by (scanned_at, id)."""
    where = scan_where(scans)
    if after is not None:
        where.add("(s.scanned_at, s.id) < ({}, {})", *after)
    rows = await conn.fetch(
        f"""SELECT {SCAN_COLUMNS} FROM scans s JOIN products p ON p.id = s.product_id
            WHERE {where.sql} ORDER BY s.scanned_at DESC, s.id DESC LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [ScanRow(**dict(row)) for row in rows]


_REPORT = """f.id, f.product_id, f.batch_id, f.factory_id, f.contact, f.description, f.status, f.note,
             f.created_at, f.updated_at, f.updated_by, f.scan_id, f.country_code, f.token_fingerprint,
             f.counterfeit_token"""


async def reports(
    conn: Conn, reports: ReportFilter, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[ReportRow]:
    """Newest first, keyset-paged by (created_at, id)."""
    where = Where()
    where.add("f.status = {}", reports.status)
    where.add("f.factory_id = {}", reports.factory_id)
    where.add("f.product_id = {}", reports.product_id)
    where.add("f.batch_id = {}", reports.batch_id)
    if after is not None:
        where.add("(f.created_at, f.id) < ({}, {})", *after)
    rows = await conn.fetch(
        f"""SELECT {_REPORT} FROM fraud_reports f WHERE {where.sql}
            ORDER BY f.created_at DESC, f.id DESC LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [ReportRow(**dict(row)) for row in rows]


async def report(conn: Conn, report_id: uuid.UUID, lock: bool = False) -> ReportRow | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_REPORT} FROM fraud_reports f WHERE f.id = $1{suffix}", report_id)
    return None if row is None else ReportRow(**dict(row))


async def update_report(conn: Conn, report_id: uuid.UUID, status: str, note: str, actor: str) -> ReportRow:
    row = await fetch_one(
        conn,
        f"""UPDATE fraud_reports f SET status = $2, note = $3, updated_by = $4, updated_at = now() WHERE f.id = $1
            RETURNING {_REPORT}""",
        report_id,
        status,
        note,
        actor,
    )
    return ReportRow(**dict(row))


_AUDIT = """seq, at, actor, actor_role, factory_id, action, object_type, object_id, request_id, source, details,
            prev_hash, hash"""


async def audit_entries(conn: Conn, entries: AuditFilter, before: int | None, limit: int) -> list[AuditRow]:
    """Newest first, keyset-paged by seq."""
    where = Where()
    where.add("actor = {}", entries.actor_id)
    where.add("action = {}", entries.action)
    where.add("object_type = {}", entries.object_type)
    where.add("object_id = {}", entries.object_id)
    if entries.service:
        where.add("action LIKE {}", f"/voketag.{entries.service.removesuffix('_svc')}.v1.%")
    time_range(where, "at", entries.start, entries.end)
    where.add("seq < {}", before)
    rows = await conn.fetch(
        f"SELECT {_AUDIT} FROM audit_log WHERE {where.sql} ORDER BY seq DESC LIMIT {where.arg(limit)}", *where.args
    )
    return [AuditRow(**dict(row)) for row in rows]


async def latest_audit_seq(conn: Conn) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_log"))


def time_range(where: Where, column: str, start: datetime | None, end: datetime | None) -> None:
    where.add(f"{column} >= {{}}", start)
    where.add(f"{column} < {{}}", end)


async def scan_export_rows(conn: Conn, scans: ScanFilter, max_rows: int) -> AsyncIterator[ScanExportRow]:
    """Scans in id order for the CSV export (call inside a transaction)."""
    where = scan_where(scans)
    query = f"""SELECT s.id, s.scanned_at, s.product_id, s.batch_id, s.factory_id, p.serial, s.verdict,
                       s.risk_score, s.country AS country_code, s.device_hash, s.ledger_seq AS ledger_sequence
                FROM scans s JOIN products p ON p.id = s.product_id
                WHERE {where.sql} ORDER BY s.id LIMIT {where.arg(max_rows)}"""
    async for row in conn.cursor(query, *where.args, prefetch=2000):
        # By name: a renamed column fails on the first row instead of shifting the CSV's columns.
        yield ScanExportRow(**row)


async def report_export_rows(
    conn: Conn, reports: ReportFilter, show_contact: bool, max_rows: int
) -> AsyncIterator[ReportExportRow]:
    """Fraud reports newest first for the export (call inside a transaction).
    The contact is masked unless ``show_contact``."""
    where = Where()
    where.add("f.status = {}", reports.status)
    where.add("f.factory_id = {}", reports.factory_id)
    where.add("f.batch_id = {}", reports.batch_id)
    contact = "f.contact" if show_contact else "CASE WHEN f.contact = '' THEN '' ELSE '***' END"
    query = f"""SELECT f.id, f.created_at, f.status, f.product_id, f.batch_id, f.factory_id,
                       f.token_fingerprint, f.country_code, f.scan_id, {contact} AS contact, f.description, f.note,
                       f.updated_at, f.updated_by
                FROM fraud_reports f WHERE {where.sql}
                ORDER BY f.created_at DESC, f.id DESC LIMIT {where.arg(max_rows)}"""
    async for row in conn.cursor(query, *where.args, prefetch=2000):
        yield ReportExportRow(**row)
