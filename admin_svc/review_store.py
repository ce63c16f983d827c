"""asyncpg queries of suspicious scans, fraud reports and the audit log."""

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from voketag.db import Connection

Conn = Connection


class Where:
    """A WHERE clause built from optional filters, with numbered parameters."""

    def __init__(self) -> None:
        self.conditions: list[str] = ["true"]
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str, *values: Any) -> None:
        """`condition` uses {} placeholders, one per value; None values drop the condition."""
        if any(value is None or value == "" for value in values):
            return
        self.conditions.append(condition.format(*(self.arg(value) for value in values)))

    @property
    def sql(self) -> str:
        return " AND ".join(self.conditions)


SCAN_COLUMNS = """s.id, s.scanned_at, s.product_id, s.batch_id, s.factory_id, p.serial, s.verdict, s.risk_score,
                  s.factors, s.country, s.device_hash, s.ledger_seq, s.latitude, s.longitude"""


async def scans(conn: Conn, where: Where, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {SCAN_COLUMNS} FROM scans s JOIN products p ON p.id = s.product_id
            WHERE {where.sql} ORDER BY s.scanned_at DESC, s.id DESC LIMIT {where.arg(limit)}""",
        *where.args,
    )


_REPORT = """f.id, f.product_id, f.batch_id, f.factory_id, f.contact, f.description, f.status, f.note,
             f.created_at, f.updated_at, f.updated_by, f.scan_id, f.country_code, f.token_fingerprint,
             f.counterfeit_token"""


async def reports(conn: Conn, where: Where, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_REPORT} FROM fraud_reports f WHERE {where.sql}
            ORDER BY f.created_at DESC, f.id DESC LIMIT {where.arg(limit)}""",
        *where.args,
    )


async def report(conn: Conn, report_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT {_REPORT} FROM fraud_reports f WHERE f.id = $1{suffix}", report_id)


async def update_report(conn: Conn, report_id: uuid.UUID, status: str, note: str, actor: str) -> asyncpg.Record:
    await conn.execute(
        "UPDATE fraud_reports SET status = $2, note = $3, updated_by = $4, updated_at = now() WHERE id = $1",
        report_id,
        status,
        note,
        actor,
    )
    return await report(conn, report_id)  # type: ignore[return-value]


async def audit_entries(conn: Conn, where: Where, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT * FROM audit_log WHERE {where.sql} ORDER BY seq DESC LIMIT {where.arg(limit)}", *where.args
    )


async def latest_audit_seq(conn: Conn) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_log"))


def time_range(where: Where, column: str, start: datetime | None, end: datetime | None) -> None:
    where.add(f"{column} >= {{}}", start)
    where.add(f"{column} < {{}}", end)
