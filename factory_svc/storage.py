"""asyncpg queries of the factory service. `owner` arguments are the caller's scope: None = every factory."""

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from factory_svc.domain import product_ids

Row = asyncpg.Record

_PRODUCT_SELECT = """
    SELECT p.*, b.factory_id, b.sku, b.key_id, b.lifecycle AS batch_lifecycle
    FROM products p JOIN batches b ON b.id = p.batch_id"""
# Effective lifecycle in SQL, the same rule as domain.effective_lifecycle.
_EFFECTIVE = (
    "CASE WHEN b.lifecycle IN ('REVOKED', 'RECALLED') THEN b.lifecycle ELSE COALESCE(p.lifecycle, b.lifecycle) END"
)


async def factory_exists(conn: asyncpg.Connection | asyncpg.Pool, factory_id: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM factories WHERE id = $1)", factory_id))


async def reserve_serials(pool: asyncpg.Pool, count: int) -> int:
    """First serial of a fresh block of ``count``; autocommit, so it never waits on a batch transaction."""
    return int(
        await pool.fetchval(
            "UPDATE serial_counter SET next_serial = next_serial + $1 RETURNING next_serial - $1", count
        )
    )


async def batch_by_request(conn: asyncpg.Connection | asyncpg.Pool, factory_id: str, request_id: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM batches WHERE factory_id = $1 AND request_id = $2", factory_id, request_id
    )


async def insert_batch(conn: asyncpg.Connection, batch: Mapping[str, Any]) -> Row | None:
    """The new batch row, or None when a batch with the same (factory, request id) already exists.

    ON CONFLICT waits for a concurrent insert of the same key to commit or roll back, so of many
    simultaneous retries exactly one inserts and the others see None.
    """
    return await conn.fetchrow(
        """INSERT INTO batches (id, factory_id, sku, product_line, product_name, quantity, lifecycle, metadata,
                                key_id, request_id, request_hash, created_by, released_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12,
                   CASE WHEN $7 = 'RELEASED' THEN now() END)
           ON CONFLICT (factory_id, request_id) DO NOTHING
           RETURNING *""",
        batch["id"],
        batch["factory_id"],
        batch["sku"],
        batch["product_line"],
        batch["product_name"],
        batch["quantity"],
        batch["lifecycle"],
        json.dumps(batch["metadata"]),
        batch["key_id"],
        batch["request_id"],
        batch["request_hash"],
        batch["created_by"],
    )


async def copy_products(conn: asyncpg.Connection, batch_id: str, first_serial: int, count: int) -> None:
    """COPY ``count`` products with consecutive serials and leaf indexes 0..count-1, streamed (constant memory)."""
    batch = uuid.UUID(batch_id)  # one object for every row: no text parse per row
    rows = ((product_id, batch, first_serial + leaf, leaf) for leaf, product_id in enumerate(product_ids(count)))
    await conn.copy_records_to_table("products", records=rows, columns=("id", "batch_id", "serial", "leaf_index"))


async def request_outbox(conn: asyncpg.Connection, batch_id: str) -> None:
    await conn.execute("INSERT INTO anchor_outbox (batch_id) VALUES ($1)", batch_id)


async def add_event(
    conn: asyncpg.Connection, event_id: str, batch_id: str, factory_id: str, event_type: str, payload: Mapping[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO batch_events (id, batch_id, factory_id, type, payload) VALUES ($1, $2, $3, $4, $5::jsonb)",
        event_id,
        batch_id,
        factory_id,
        event_type,
        json.dumps(payload),
    )


async def get_batch(
    conn: asyncpg.Connection | asyncpg.Pool, batch_id: str, owner: str | None, *, lock: bool = False
) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM batches WHERE id = $1 AND ($2::uuid IS NULL OR factory_id = $2)"
        + (" FOR UPDATE" if lock else ""),
        batch_id,
        owner,
    )


async def list_batches(
    conn: asyncpg.Pool, owner: str | None, filters: Mapping[str, Any], after: Sequence[Any] | None, limit: int
) -> list[Row]:
    """Newest first; (created_at, id) makes the order total so a cursor never skips or repeats a row."""
    after_at = datetime.fromisoformat(after[0]) if after else None
    return await conn.fetch(
        """SELECT * FROM batches
           WHERE ($1::uuid IS NULL OR factory_id = $1)
             AND ($2::uuid IS NULL OR factory_id = $2)
             AND ($3::text IS NULL OR state = $3)
             AND ($4::text IS NULL OR lifecycle = $4)
             AND ($5::text IS NULL OR sku = $5)
             AND ($6::timestamptz IS NULL OR created_at >= $6)
             AND ($7::timestamptz IS NULL OR created_at < $7)
             AND ($8::timestamptz IS NULL OR (created_at, id) < ($8, $9::uuid))
           ORDER BY created_at DESC, id DESC
           LIMIT $10""",
        owner,
        filters["factory_id"],
        filters["state"],
        filters["lifecycle"],
        filters["sku"],
        filters["created_after"],
        filters["created_before"],
        after_at,
        after[1] if after else None,
        limit,
    )


async def get_product(
    conn: asyncpg.Connection | asyncpg.Pool, product_id: str, owner: str | None, *, lock: bool = False
) -> Row | None:
    return await conn.fetchrow(
        _PRODUCT_SELECT
        + " WHERE p.id = $1 AND ($2::uuid IS NULL OR b.factory_id = $2)"
        + (" FOR UPDATE OF p, b" if lock else ""),
        product_id,
        owner,
    )


async def list_products(
    conn: asyncpg.Pool, batch_id: str, lifecycle: str | None, after_leaf: int, limit: int
) -> list[Row]:
    return await conn.fetch(
        _PRODUCT_SELECT + f" WHERE p.batch_id = $1 AND p.leaf_index > $2 AND ($3::text IS NULL OR {_EFFECTIVE} = $3)"
        " ORDER BY p.leaf_index LIMIT $4",
        batch_id,
        after_leaf,
        lifecycle,
        limit,
    )


async def export_rows(
    conn: asyncpg.Connection, batch_id: str, lifecycle: str | None, prefetch: int = 5000
) -> AsyncIterator[Row]:
    """Products of a batch in serial order through a server-side cursor (call inside a transaction)."""
    query = (
        f"SELECT p.id, p.serial, p.external_id, p.created_at, {_EFFECTIVE} AS lifecycle"
        " FROM products p JOIN batches b ON b.id = p.batch_id"
        " WHERE p.batch_id = $1 AND ($2::text IS NULL OR "
        f"{_EFFECTIVE} = $2) ORDER BY p.leaf_index"
    )
    async for row in conn.cursor(query, batch_id, lifecycle, prefetch=prefetch):
        yield row


async def set_batch_lifecycle(conn: asyncpg.Connection, batch_id: str, lifecycle: str, reason: str) -> Row:
    return await conn.fetchrow(
        """UPDATE batches SET lifecycle = $2, lifecycle_reason = $3, updated_at = now(),
                  released_at = CASE WHEN $2 = 'RELEASED' THEN now() ELSE released_at END,
                  ended_at = CASE WHEN $2 IN ('REVOKED', 'RECALLED') THEN now() ELSE ended_at END
           WHERE id = $1 RETURNING *""",
        batch_id,
        lifecycle,
        reason,
    )


async def set_product_lifecycle(conn: asyncpg.Connection, product_id: str, lifecycle: str, reason: str) -> None:
    await conn.execute(
        "UPDATE products SET lifecycle = $2, lifecycle_reason = $3, updated_at = now() WHERE id = $1",
        product_id,
        lifecycle,
        reason,
    )


async def claim_request(
    conn: asyncpg.Connection, factory_id: str, kind: str, request_id: str, request_hash: str, object_id: str
) -> bool:
    """Record an idempotency key in the current transaction; False when another request already holds it."""
    inserted = await conn.fetchval(
        """INSERT INTO factory_requests (factory_id, kind, request_id, request_hash, object_id)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        factory_id,
        kind,
        request_id,
        request_hash,
        object_id,
    )
    return bool(inserted)


async def set_request_result(
    conn: asyncpg.Connection, factory_id: str, kind: str, request_id: str, result: Mapping[str, Any]
) -> None:
    await conn.execute(
        "UPDATE factory_requests SET result = $4::jsonb WHERE factory_id = $1 AND kind = $2 AND request_id = $3",
        factory_id,
        kind,
        request_id,
        json.dumps(result),
    )


async def find_request(conn: asyncpg.Pool, factory_id: str, kind: str, request_id: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM factory_requests WHERE factory_id = $1 AND kind = $2 AND request_id = $3",
        factory_id,
        kind,
        request_id,
    )


async def delete_expired_requests(conn: asyncpg.Connection | asyncpg.Pool, cutoff: datetime, limit: int) -> int:
    """Delete at most ``limit`` idempotency records created before ``cutoff``, oldest first; the count deleted.

    Only factory_requests rows go: the products, batches and webhooks they name stay. One statement per
    chunk (autocommit on a pool) keeps each transaction and its row locks short. The chunk is picked by a
    range scan of the created_at index and deleted by tuple id: a join on the primary key instead was
    planned as a hash join over a sequential scan of the whole table, for every chunk. The picked rows are
    locked by the same statement, so their tuple ids cannot change under it; the created_at test is
    repeated anyway, so only an expired row can ever be deleted. SKIP LOCKED leaves a record that an import
    is still updating, or that another replica's cleanup holds, to a later pass instead of waiting for it.
    """
    status = await conn.execute(
        """DELETE FROM factory_requests
           WHERE created_at < $1
             AND ctid = ANY (ARRAY(SELECT ctid FROM factory_requests WHERE created_at < $1
                                   ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED))""",
        cutoff,
        limit,
    )
    return int(status.split()[-1])


async def insert_product(
    conn: asyncpg.Connection, product_id: str, batch_id: str, serial: int, external_id: str, metadata: Mapping[str, str]
) -> None:
    """Append one product at the next leaf index (the caller holds the batch row lock)."""
    await conn.execute(
        """INSERT INTO products (id, batch_id, serial, leaf_index, external_id, metadata)
           VALUES ($1, $2, $3, (SELECT COALESCE(max(leaf_index) + 1, 0) FROM products WHERE batch_id = $2),
                   $4, $5::jsonb)""",
        product_id,
        batch_id,
        serial,
        external_id,
        json.dumps(metadata),
    )


async def grow_batch(conn: asyncpg.Connection, batch_id: str, added: int) -> None:
    await conn.execute("UPDATE batches SET quantity = quantity + $2, updated_at = now() WHERE id = $1", batch_id, added)


# --- CSV import staging -------------------------------------------------------------------------------------


async def create_staging(conn: asyncpg.Connection) -> None:
    """A temporary table private to this transaction: a failed import leaves nothing anywhere."""
    await conn.execute(
        """CREATE TEMPORARY TABLE import_rows (line integer NOT NULL, position integer NOT NULL,
                                              external_id text NOT NULL, metadata jsonb NOT NULL)
           ON COMMIT DROP"""
    )


async def stage_rows(conn: asyncpg.Connection, rows: Iterable[tuple[int, int, str, str]]) -> None:
    await conn.copy_records_to_table(
        "import_rows", records=rows, columns=("line", "position", "external_id", "metadata")
    )


async def first_duplicate(conn: asyncpg.Connection, batch_id: str | None) -> Row | None:
    """The first staged row whose external_id repeats an earlier row or a product already in the batch."""
    return await conn.fetchrow(
        """SELECT line, external_id FROM (
               SELECT line, external_id, count(*) OVER (PARTITION BY external_id ORDER BY position) AS seen
               FROM import_rows) staged
           WHERE seen > 1
              OR ($1::uuid IS NOT NULL
                  AND EXISTS (SELECT 1 FROM products p WHERE p.batch_id = $1 AND p.external_id = staged.external_id))
           ORDER BY line LIMIT 1""",
        batch_id,
    )


async def move_staged(conn: asyncpg.Connection, batch_id: str, first_serial: int, first_leaf: int) -> int:
    """Turn the staged rows into products (serial and leaf index follow the file order)."""
    status = await conn.execute(
        """INSERT INTO products (id, batch_id, serial, leaf_index, external_id, metadata)
           SELECT gen_random_uuid(), $1, $2 + position, $3 + position, external_id, metadata
           FROM import_rows ORDER BY position""",
        batch_id,
        first_serial,
        first_leaf,
    )
    return int(status.split()[-1])


async def next_leaf(conn: asyncpg.Connection, batch_id: str) -> int:
    return int(
        await conn.fetchval("SELECT COALESCE(max(leaf_index) + 1, 0) FROM products WHERE batch_id = $1", batch_id)
    )


# --- webhooks -----------------------------------------------------------------------------------------------


async def insert_webhook(conn: asyncpg.Connection, hook: Mapping[str, Any]) -> Row:
    return await conn.fetchrow(
        """INSERT INTO webhooks (id, factory_id, url, events, description, secret)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        hook["id"],
        hook["factory_id"],
        hook["url"],
        hook["events"],
        hook["description"],
        hook["secret"],
    )


async def get_webhook(conn: asyncpg.Connection | asyncpg.Pool, webhook_id: str, owner: str | None) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM webhooks WHERE id = $1 AND deleted_at IS NULL AND ($2::uuid IS NULL OR factory_id = $2)",
        webhook_id,
        owner,
    )


async def list_webhooks(
    conn: asyncpg.Pool, owner: str | None, factory_id: str | None, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    return await conn.fetch(
        """SELECT * FROM webhooks
           WHERE deleted_at IS NULL AND ($1::uuid IS NULL OR factory_id = $1) AND ($2::uuid IS NULL OR factory_id = $2)
             AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $5""",
        owner,
        factory_id,
        datetime.fromisoformat(after[0]) if after else None,
        after[1] if after else None,
        limit,
    )


async def delete_webhook(conn: asyncpg.Connection, webhook_id: str) -> None:
    await conn.execute("UPDATE webhooks SET deleted_at = now(), active = false WHERE id = $1", webhook_id)
    await conn.execute(
        """UPDATE webhook_deliveries SET state = 'FAILED', last_error = 'webhook deleted', next_attempt_at = NULL
           WHERE webhook_id = $1 AND state IN ('PENDING', 'RETRYING')""",
        webhook_id,
    )


async def list_deliveries(
    conn: asyncpg.Pool, webhook_id: str, state: str | None, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    return await conn.fetch(
        """SELECT * FROM webhook_deliveries
           WHERE webhook_id = $1 AND ($2::text IS NULL OR state = $2)
             AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $5""",
        webhook_id,
        state,
        datetime.fromisoformat(after[0]) if after else None,
        after[1] if after else None,
        limit,
    )
