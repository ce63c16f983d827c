"""asyncpg queries behind the EPCIS export: server-side cursors, so a large range streams in constant memory.

Every query takes the same filter: the caller's factory scope, an optional batch and an optional
[start, end) range on the row's own time (product creation, lifecycle change, scan).
"""

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from factory_svc.model import BatchProduct, CommissionedProduct, LifecycleChange, ScanEvent
from voketag.db import Connection

PREFETCH = 2000
T = TypeVar("T")


@dataclass(frozen=True)
class Filter:
    owner: str | None
    batch_id: str | None
    start: datetime | None
    end: datetime | None

    def where(self, time_column: str) -> tuple[str, list[Any]]:
        args: list[Any] = [self.owner, self.batch_id, self.start, self.end]
        sql = f"""($1::uuid IS NULL OR b.factory_id = $1) AND ($2::uuid IS NULL OR b.id = $2)
                  AND ($3::timestamptz IS NULL OR {time_column} >= $3)
                  AND ($4::timestamptz IS NULL OR {time_column} < $4)"""
        return sql, args


async def _cursor(conn: Connection, row_type: Callable[..., T], query: str, args: list[Any]) -> AsyncIterator[T]:
    """Rows of ``query`` as ``row_type``, built by column name: a renamed alias fails on the first row."""
    async for row in conn.cursor(query, *args, prefetch=PREFETCH):
        yield row_type(**row)


def commissioned(conn: Connection, only: Filter) -> AsyncIterator[CommissionedProduct]:
    """Products in creation groups: (batch, created_at) in order, leaf order within a group."""
    where, args = only.where("p.created_at")
    return _cursor(
        conn,
        CommissionedProduct,
        f"""SELECT p.id, p.serial, p.batch_id, p.created_at, coalesce(b.gtin, '') AS gtin
            FROM products p JOIN batches b ON b.id = p.batch_id
            WHERE {where} ORDER BY p.batch_id, p.created_at, p.leaf_index""",
        args,
    )


async def lifecycle_changes(conn: Connection, only: Filter) -> list[LifecycleChange]:
    """Batch and product lifecycle changes (at most a few per batch or product), oldest first."""
    where, args = only.where("e.created_at")
    rows = await conn.fetch(
        f"""SELECT e.type, e.batch_id, e.created_at, e.payload, coalesce(b.gtin, '') AS gtin
            FROM batch_events e JOIN batches b ON b.id = e.batch_id
            WHERE e.type IN ('batch.released', 'batch.revoked', 'batch.recalled',
                             'product.revoked', 'product.recalled') AND {where}
            ORDER BY e.created_at, e.id""",
        *args,
    )
    # jsonb arrives as text unless the connection has a codec for it.
    return [
        LifecycleChange(
            row["type"],
            row["batch_id"],
            row["created_at"],
            json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"],
            row["gtin"],
        )
        for row in rows
    ]


def batch_products(conn: Connection, batch_id: str) -> AsyncIterator[BatchProduct]:
    return _cursor(
        conn, BatchProduct, "SELECT id, serial FROM products WHERE batch_id = $1 ORDER BY leaf_index", [batch_id]
    )


async def product_serial(conn: Connection, product_id: str) -> int | None:
    return await conn.fetchval("SELECT serial FROM products WHERE id = $1", product_id)


def scans(conn: Connection, only: Filter) -> AsyncIterator[ScanEvent]:
    where, args = only.where("s.scanned_at")
    return _cursor(
        conn,
        ScanEvent,
        f"""SELECT s.product_id, p.serial, s.scanned_at, s.country, s.verdict, s.risk_score,
                   coalesce(b.gtin, '') AS gtin
            FROM scans s JOIN products p ON p.id = s.product_id JOIN batches b ON b.id = s.batch_id
            WHERE {where} ORDER BY s.scanned_at, s.id""",
        args,
    )
