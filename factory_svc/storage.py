"""asyncpg queries of the factory service; rows leave as the dataclasses of factory_svc.model.

``owner`` arguments are the caller's scope: None = every factory.
"""

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from factory_svc.domain import product_ids
from factory_svc.model import (
    AnchorFacts,
    Batch,
    Delivery,
    DeliveryTarget,
    ExportRow,
    Product,
    RequestRecord,
    Webhook,
)
from voketag import context as rpc_context
from voketag import gs1, tracing
from voketag.db import Connection, Executor

Conn = Executor

# A batch with its anchor record: the same rows GET /v1/anchor/{id} reads (anchor_svc.storage.record).
_BATCH_SELECT = """
    SELECT b.*, b.state = 'CREATED' AND b.seal_at > now() AS open,
           r.state AS anchor_state, r.batch_root, r.anchored_at, a.chain_id, a.tx_hash, a.block_number,
           a.confirmations, a.sender
    FROM batches b
    LEFT JOIN anchor_records r ON r.batch_id = b.id
    LEFT JOIN anchor_aggregations a ON a.id = r.aggregation_id"""
_PRODUCT_SELECT = """
    SELECT p.*, b.factory_id, b.sku, b.key_id, b.lifecycle AS batch_lifecycle, b.gtin, b.lot, b.expiry
    FROM products p JOIN batches b ON b.id = p.batch_id"""


def _json(value: str | dict[str, str]) -> dict[str, str]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _gs1(row: asyncpg.Record) -> gs1.Keys:
    return gs1.Keys(row["gtin"] or "", row["lot"], row["expiry"])


def _batch(row: asyncpg.Record) -> Batch:
    return Batch(
        id=str(row["id"]),
        factory_id=str(row["factory_id"]),
        sku=row["sku"],
        product_line=row["product_line"],
        product_name=row["product_name"],
        quantity=row["quantity"],
        state=row["state"],
        lifecycle=row["lifecycle"],
        lifecycle_reason=row["lifecycle_reason"],
        public_reason=row["public_reason"],
        metadata=_json(row["metadata"]),
        key_id=row["key_id"],
        request_id=row["request_id"] or "",
        request_hash=row["request_hash"] or "",
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        released_at=row["released_at"],
        ended_at=row["ended_at"],
        seal_at=row["seal_at"],
        open=bool(row["open"]),
        anchor=AnchorFacts(
            state=row["anchor_state"] or "",
            chain_id=row["chain_id"] or 0,
            tx_hash=row["tx_hash"] or "",
            block_number=row["block_number"] or 0,
            confirmations=row["confirmations"] or 0,
            batch_root=bytes(row["batch_root"] or b""),
            sender=row["sender"] or "",
            anchored_at=row["anchored_at"],
        ),
        gs1_keys=_gs1(row),
    )


def _product(row: asyncpg.Record) -> Product:
    return Product(
        id=str(row["id"]),
        batch_id=str(row["batch_id"]),
        factory_id=str(row["factory_id"]),
        sku=row["sku"],
        key_id=row["key_id"],
        serial=row["serial"],
        leaf_index=row["leaf_index"],
        external_id=row["external_id"],
        own_lifecycle=row["lifecycle"],
        lifecycle_reason=row["lifecycle_reason"],
        public_reason=row["public_reason"],
        batch_lifecycle=row["batch_lifecycle"],
        metadata=_json(row["metadata"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        gs1_keys=_gs1(row),
    )


def _webhook(row: asyncpg.Record) -> Webhook:
    return Webhook(
        id=str(row["id"]),
        factory_id=str(row["factory_id"]),
        url=row["url"],
        events=list(row["events"]),
        description=row["description"],
        active=row["active"],
        secret=row["secret"],
        created_at=row["created_at"],
    )


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(
        id=str(row["id"]),
        webhook_id=str(row["webhook_id"]),
        event_type=row["event_type"],
        event_id=str(row["event_id"]),
        object_id=str(row["object_id"]),
        state=row["state"],
        attempts=row["attempts"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        last_attempt_at=row["last_attempt_at"],
        next_attempt_at=row["next_attempt_at"],
        delivered_at=row["delivered_at"],
    )


def _lifecycle_filter(own: tuple[bool, frozenset[str]] | None) -> tuple[bool | None, list[str]]:
    """Query arguments of a filter on the effective lifecycle, given as lifecycle.product_states_for."""
    if own is None:
        return None, []
    return own[0], sorted(own[1])


# A product passes when no filter is given ($n NULL), or it has no own state and those match, or its own
# state is one of the listed ones.
_LIFECYCLE_WHERE = "({0}::boolean IS NULL OR (p.lifecycle IS NULL AND {0}) OR p.lifecycle = ANY({1}::text[]))"


async def factory_exists(conn: Conn, factory_id: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM factories WHERE id = $1)", factory_id))


async def reserve_serials(pool: asyncpg.Pool, count: int) -> int:
    """First serial of a fresh block of ``count``; autocommit, so it never waits on a batch transaction."""
    return int(
        await pool.fetchval(
            "UPDATE serial_counter SET next_serial = next_serial + $1 RETURNING next_serial - $1", count
        )
    )


# --- batches ------------------------------------------------------------------------------------------------


async def batch_by_request(conn: Conn, factory_id: str, request_id: str) -> Batch | None:
    row = await conn.fetchrow(_BATCH_SELECT + " WHERE b.factory_id = $1 AND b.request_id = $2", factory_id, request_id)
    return _batch(row) if row else None


async def insert_batch(conn: Connection, batch: Mapping[str, Any]) -> bool:
    """True when inserted; False when a batch with the same (factory, request id) already exists.

    ON CONFLICT waits for a concurrent insert of the same key to commit or roll back, so of many
    simultaneous retries exactly one inserts and the others see False.
    """
    inserted = await conn.fetchval(
        """INSERT INTO batches (id, factory_id, sku, product_line, product_name, quantity, lifecycle, metadata,
                                key_id, request_id, request_hash, created_by, released_at, seal_at, gtin, lot, expiry)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12,
                   CASE WHEN $7 = 'RELEASED' THEN now() END,
                   CASE WHEN $13::integer > 0 THEN now() + make_interval(secs => $13::integer) END,
                   nullif($14, ''), $15, $16)
           ON CONFLICT (factory_id, request_id) DO NOTHING
           RETURNING true""",
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
        batch["open_for_s"],
        batch.get("gtin", ""),
        batch.get("lot", ""),
        batch.get("expiry"),
    )
    return bool(inserted)


async def copy_products(conn: Connection, batch_id: str, first_serial: int, count: int) -> None:
    """COPY ``count`` products with consecutive serials and leaf indexes 0..count-1, streamed (constant memory)."""
    batch = uuid.UUID(batch_id)  # one object for every row: no text parse per row
    rows = ((product_id, batch, first_serial + leaf, leaf) for leaf, product_id in enumerate(product_ids(count)))
    await conn.copy_records_to_table("products", records=rows, columns=("id", "batch_id", "serial", "leaf_index"))


async def get_batch(conn: Conn, batch_id: str, owner: str | None, *, lock: bool = False) -> Batch | None:
    row = await conn.fetchrow(
        _BATCH_SELECT
        + " WHERE b.id = $1 AND ($2::uuid IS NULL OR b.factory_id = $2)"
        + (" FOR UPDATE OF b" if lock else ""),
        batch_id,
        owner,
    )
    return _batch(row) if row else None


async def list_batches(
    conn: Conn, owner: str | None, filters: Mapping[str, Any], after: Sequence[Any] | None, limit: int
) -> list[Batch]:
    """Newest first; (created_at, id) makes the order total so a cursor never skips or repeats a row."""
    after_at = datetime.fromisoformat(after[0]) if after else None
    rows = await conn.fetch(
        _BATCH_SELECT
        + """
           WHERE ($1::uuid IS NULL OR b.factory_id = $1)
             AND ($2::uuid IS NULL OR b.factory_id = $2)
             AND ($3::text IS NULL OR b.state = $3)
             AND ($4::text IS NULL OR b.lifecycle = $4)
             AND ($5::text IS NULL OR b.sku = $5)
             AND ($6::timestamptz IS NULL OR b.created_at >= $6)
             AND ($7::timestamptz IS NULL OR b.created_at < $7)
             AND ($8::timestamptz IS NULL OR (b.created_at, b.id) < ($8, $9::uuid))
           ORDER BY b.created_at DESC, b.id DESC
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
    return [_batch(row) for row in rows]


async def set_batch_lifecycle(
    conn: Connection, batch_id: str, lifecycle: str, reason: str, public_reason: str, *, ended: bool
) -> None:
    """``ended``: the new state ends the batch (voketag.lifecycle.ENDED), which stamps ended_at."""
    await conn.execute(
        """UPDATE batches SET lifecycle = $2, lifecycle_reason = $3, public_reason = $4, updated_at = now(),
                  released_at = CASE WHEN $2 = 'RELEASED' THEN now() ELSE released_at END,
                  ended_at = CASE WHEN $5 THEN now() ELSE ended_at END
           WHERE id = $1""",
        batch_id,
        lifecycle,
        reason,
        public_reason,
        ended,
    )


async def seal_now(conn: Connection, batch_id: str) -> None:
    """End an open batch's window: its waiting anchoring request becomes due (the caller holds the row lock)."""
    await conn.execute("UPDATE batches SET seal_at = now(), updated_at = now() WHERE id = $1", batch_id)
    await conn.execute(
        "UPDATE anchor_outbox SET not_before = now() WHERE batch_id = $1 AND sent_at IS NULL AND not_before > now()",
        batch_id,
    )


async def grow_batch(conn: Connection, batch_id: str, added: int) -> None:
    await conn.execute("UPDATE batches SET quantity = quantity + $2, updated_at = now() WHERE id = $1", batch_id, added)


async def add_event(
    conn: Connection, event_id: str, batch_id: str, factory_id: str, event_type: str, payload: Mapping[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO batch_events (id, batch_id, factory_id, type, payload) VALUES ($1, $2, $3, $4, $5::jsonb)",
        event_id,
        batch_id,
        factory_id,
        event_type,
        json.dumps(payload),
    )


# --- products -----------------------------------------------------------------------------------------------


async def get_product(conn: Conn, product_id: str, owner: str | None, *, lock: bool = False) -> Product | None:
    row = await conn.fetchrow(
        _PRODUCT_SELECT
        + " WHERE p.id = $1 AND ($2::uuid IS NULL OR b.factory_id = $2)"
        + (" FOR UPDATE OF p, b" if lock else ""),
        product_id,
        owner,
    )
    return _product(row) if row else None


async def list_products(
    conn: Conn, batch_id: str, own_states: tuple[bool, frozenset[str]] | None, after_leaf: int, limit: int
) -> list[Product]:
    """Products in leaf order; ``own_states`` (lifecycle.product_states_for) filters on the effective state."""
    nulls, states = _lifecycle_filter(own_states)
    rows = await conn.fetch(
        _PRODUCT_SELECT
        + " WHERE p.batch_id = $1 AND p.leaf_index > $2 AND "
        + _LIFECYCLE_WHERE.format("$3", "$4")
        + " ORDER BY p.leaf_index LIMIT $5",
        batch_id,
        after_leaf,
        nulls,
        states,
        limit,
    )
    return [_product(row) for row in rows]


async def search_products(
    conn: Conn,
    owner: str | None,
    factory_id: str | None,
    serial: int | None,
    external_id: str | None,
    after_serial: int,
    limit: int,
) -> list[Product]:
    """Products by serial and/or external id (None = no condition) within ``owner``'s factory, in serial order."""
    rows = await conn.fetch(
        _PRODUCT_SELECT
        + """ WHERE ($1::uuid IS NULL OR b.factory_id = $1) AND ($2::uuid IS NULL OR b.factory_id = $2)
              AND ($3::bigint IS NULL OR p.serial = $3) AND ($4::text IS NULL OR p.external_id = $4)
              AND p.serial > $5
            ORDER BY p.serial LIMIT $6""",
        owner,
        factory_id,
        serial,
        external_id,
        after_serial,
        limit,
    )
    return [_product(row) for row in rows]


async def metadata_keys(conn: Connection, batch_id: str) -> list[str]:
    """Every metadata key used by a product of the batch, sorted."""
    rows = await conn.fetch(
        "SELECT DISTINCT key FROM products p, jsonb_object_keys(p.metadata) key WHERE p.batch_id = $1 ORDER BY key",
        batch_id,
    )
    return [row["key"] for row in rows]


async def count_products(conn: Connection, batch_id: str, own_states: tuple[bool, frozenset[str]] | None) -> int:
    nulls, states = _lifecycle_filter(own_states)
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM products p WHERE p.batch_id = $1 AND " + _LIFECYCLE_WHERE.format("$2", "$3"),
            batch_id,
            nulls,
            states,
        )
    )


async def export_rows(
    conn: Connection, batch_id: str, own_states: tuple[bool, frozenset[str]] | None, prefetch: int = 5000
) -> AsyncIterator[ExportRow]:
    """Products of a batch in leaf order through a server-side cursor (call inside a transaction)."""
    nulls, states = _lifecycle_filter(own_states)
    query = (
        "SELECT p.id, p.serial, p.external_id, p.lifecycle, p.created_at, p.metadata FROM products p"
        " WHERE p.batch_id = $1 AND " + _LIFECYCLE_WHERE.format("$2", "$3") + " ORDER BY p.leaf_index"
    )
    async for row in conn.cursor(query, batch_id, nulls, states, prefetch=prefetch):
        yield ExportRow(
            str(row["id"]),
            row["serial"],
            row["external_id"],
            row["lifecycle"],
            row["created_at"],
            _json(row["metadata"]),
        )


async def set_product_lifecycle(
    conn: Connection, product_id: str, lifecycle: str, reason: str, public_reason: str
) -> None:
    await conn.execute(
        """UPDATE products SET lifecycle = $2, lifecycle_reason = $3, public_reason = $4, updated_at = now()
           WHERE id = $1""",
        product_id,
        lifecycle,
        reason,
        public_reason,
    )


async def insert_product(
    conn: Connection, product_id: str, batch_id: str, serial: int, external_id: str, metadata: Mapping[str, str]
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


async def next_leaf(conn: Connection, batch_id: str) -> int:
    return int(
        await conn.fetchval("SELECT COALESCE(max(leaf_index) + 1, 0) FROM products WHERE batch_id = $1", batch_id)
    )


# --- idempotency records ------------------------------------------------------------------------------------


async def claim_request(
    conn: Connection, factory_id: str, kind: str, request_id: str, request_hash: str, object_id: str
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
    conn: Connection, factory_id: str, kind: str, request_id: str, result: Mapping[str, Any]
) -> None:
    await conn.execute(
        "UPDATE factory_requests SET result = $4::jsonb WHERE factory_id = $1 AND kind = $2 AND request_id = $3",
        factory_id,
        kind,
        request_id,
        json.dumps(result),
    )


async def find_request(conn: Conn, factory_id: str, kind: str, request_id: str) -> RequestRecord | None:
    row = await conn.fetchrow(
        "SELECT request_hash, object_id, result FROM factory_requests"
        " WHERE factory_id = $1 AND kind = $2 AND request_id = $3",
        factory_id,
        kind,
        request_id,
    )
    return RequestRecord(row["request_hash"], str(row["object_id"]), _json(row["result"])) if row else None


async def delete_expired_requests(conn: Connection | asyncpg.Pool, cutoff: datetime, limit: int) -> int:
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


# --- CSV import staging -------------------------------------------------------------------------------------


async def create_staging(conn: Connection) -> None:
    """A temporary table private to this transaction: a failed import leaves nothing anywhere."""
    await conn.execute(
        """CREATE TEMPORARY TABLE import_rows (line integer NOT NULL, position integer NOT NULL,
                                              external_id text NOT NULL, metadata jsonb NOT NULL)
           ON COMMIT DROP"""
    )


async def stage_rows(conn: Connection, rows: Iterable[tuple[int, int, str, str]]) -> None:
    await conn.copy_records_to_table(
        "import_rows", records=rows, columns=("line", "position", "external_id", "metadata")
    )


async def first_duplicate(conn: Connection, batch_id: str | None) -> int | None:
    """The line of the first staged row whose external_id repeats an earlier row or a product of the batch."""
    line = await conn.fetchval(
        """SELECT line FROM (
               SELECT line, external_id, count(*) OVER (PARTITION BY external_id ORDER BY position) AS seen
               FROM import_rows) staged
           WHERE seen > 1
              OR ($1::uuid IS NOT NULL
                  AND EXISTS (SELECT 1 FROM products p WHERE p.batch_id = $1 AND p.external_id = staged.external_id))
           ORDER BY line LIMIT 1""",
        batch_id,
    )
    return int(line) if line is not None else None


async def move_staged(conn: Connection, batch_id: str, first_serial: int, first_leaf: int) -> int:
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


# --- webhooks -----------------------------------------------------------------------------------------------


async def insert_webhook(conn: Connection, hook: Mapping[str, Any]) -> Webhook:
    row = await conn.fetchrow(
        """INSERT INTO webhooks (id, factory_id, url, events, description, secret)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        hook["id"],
        hook["factory_id"],
        hook["url"],
        hook["events"],
        hook["description"],
        hook["secret"],
    )
    assert row is not None, "INSERT ... RETURNING returns the row"
    return _webhook(row)


async def get_webhook(conn: Conn, webhook_id: str, owner: str | None) -> Webhook | None:
    row = await conn.fetchrow(
        "SELECT * FROM webhooks WHERE id = $1 AND deleted_at IS NULL AND ($2::uuid IS NULL OR factory_id = $2)",
        webhook_id,
        owner,
    )
    return _webhook(row) if row else None


async def list_webhooks(
    conn: Conn, owner: str | None, factory_id: str | None, after: Sequence[Any] | None, limit: int
) -> list[Webhook]:
    rows = await conn.fetch(
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
    return [_webhook(row) for row in rows]


async def delete_webhook(conn: Connection, webhook_id: str) -> None:
    await conn.execute("UPDATE webhooks SET deleted_at = now(), active = false WHERE id = $1", webhook_id)
    await conn.execute(
        """UPDATE webhook_deliveries SET state = 'FAILED', last_error = 'webhook deleted', next_attempt_at = NULL
           WHERE webhook_id = $1 AND state IN ('PENDING', 'RETRYING')""",
        webhook_id,
    )


async def list_deliveries(
    conn: Conn, webhook_id: str, state: str | None, after: Sequence[Any] | None, limit: int
) -> list[Delivery]:
    rows = await conn.fetch(
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
    return [_delivery(row) for row in rows]


async def delivery_target(conn: Connection, delivery_id: str) -> DeliveryTarget | None:
    row = await conn.fetchrow(
        """SELECT d.id, d.state, d.attempts, d.event_id, d.body, w.url, w.secret,
                  w.active AND w.deleted_at IS NULL AS live
           FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1""",
        delivery_id,
    )
    if row is None:
        return None
    return DeliveryTarget(
        str(row["id"]),
        row["state"],
        row["attempts"],
        str(row["event_id"]),
        row["body"],
        row["url"],
        row["secret"],
        row["live"],
    )


async def cancel_delivery(conn: Connection, delivery_id: str) -> None:
    await conn.execute(
        "UPDATE webhook_deliveries SET state = 'FAILED', next_attempt_at = NULL WHERE id = $1", delivery_id
    )


async def record_attempt(
    conn: Connection,
    delivery_id: str,
    *,
    state: str,
    attempts: int,
    status_code: int,
    error: str,
    duration_ms: int,
    at: datetime,
    next_at: datetime | None,
) -> None:
    """One attempt's row and the delivery's new summary, in one transaction."""
    async with conn.transaction():
        await conn.execute(
            """INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms)
               VALUES ($1, $2, $3, $4)""",
            delivery_id,
            status_code,
            error,
            duration_ms,
        )
        await conn.execute(
            """UPDATE webhook_deliveries
               SET state = $2, attempts = $3, last_status_code = $4, last_error = $5, last_attempt_at = $6,
                   next_attempt_at = $7, delivered_at = CASE WHEN $2 = 'SUCCEEDED' THEN $6::timestamptz END
               WHERE id = $1""",
            delivery_id,
            state,
            attempts,
            status_code,
            error,
            at,
            next_at,
        )


# --- outboxes (the relay) -----------------------------------------------------------------------------------


async def request_outbox(conn: Connection, batch_id: str) -> None:
    """Ask for the batch's anchoring when it is sealed (now, or at the end of its open window), unless a
    request is already waiting (the caller holds the batch row lock)."""
    await conn.execute(
        """WITH queued AS (
               INSERT INTO anchor_outbox (batch_id, not_before)
               SELECT id, GREATEST(COALESCE(seal_at, now()), now()) FROM batches
               WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM anchor_outbox WHERE batch_id = $1 AND sent_at IS NULL)
               RETURNING id)
           INSERT INTO anchor_outbox_trace (outbox_id, traceparent, request_id)
           SELECT id, $2, $3 FROM queued WHERE $2 <> ''""",
        batch_id,
        tracing.current_traceparent(),
        rpc_context.request_id.get(),
    )


async def due_anchor_requests(conn: Connection, limit: int) -> list[tuple[int, str, dict[str, str]]]:
    """(outbox id, batch id, message options) of due anchoring requests, locked for this transaction; other
    relays skip them. The options carry the requesting call's trace context and request id."""
    rows = await conn.fetch(
        """SELECT o.id, o.batch_id, coalesce(t.traceparent, '') AS traceparent,
                  coalesce(t.request_id, '') AS request_id
           FROM anchor_outbox o LEFT JOIN anchor_outbox_trace t ON t.outbox_id = o.id
           WHERE o.sent_at IS NULL AND o.not_before <= now()
           ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED""",
        limit,
    )
    return [(row["id"], str(row["batch_id"]), _trace_options(row)) for row in rows]


def _trace_options(row: asyncpg.Record) -> dict[str, str]:
    stored = {tracing.TRACEPARENT: row["traceparent"], tracing.REQUEST_ID: row["request_id"]}
    return {key: value for key, value in stored.items() if value}


async def mark_anchor_requests_sent(conn: Connection, ids: Sequence[int]) -> None:
    await conn.execute("UPDATE anchor_outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", ids)
    await conn.execute("DELETE FROM anchor_outbox_trace WHERE outbox_id = ANY($1::bigint[])", ids)


# One statement fans the pending batch events out to the subscribed webhooks and marks them dispatched,
# so an event is either turned into its deliveries or left for the next pass, never half done.
_FAN_OUT = """
WITH picked AS (
    SELECT * FROM batch_events WHERE dispatched_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
), fanned AS (
    INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, object_id, body)
    SELECT gen_random_uuid(), w.id, e.id, e.type, COALESCE((e.payload->>'product_id')::uuid, e.batch_id),
           jsonb_build_object(
               'id', e.id, 'type', e.type, 'created_at', e.created_at,
               'data', e.payload || jsonb_build_object('batch_id', e.batch_id, 'factory_id', e.factory_id))::text
    FROM picked e
    JOIN webhooks w ON w.factory_id = e.factory_id AND w.active AND w.deleted_at IS NULL AND e.type = ANY (w.events)
    ON CONFLICT (webhook_id, event_id) DO NOTHING
)
UPDATE batch_events SET dispatched_at = now() WHERE id IN (SELECT id FROM picked)
"""


async def fan_out_events(conn: Connection, limit: int) -> None:
    await conn.execute(_FAN_OUT, limit)


async def unqueued_deliveries(conn: Connection, limit: int) -> list[tuple[str, str, dict[str, str]]]:
    """(id, id, no options) of deliveries not yet handed to the queue, locked for this transaction."""
    rows = await conn.fetch(
        """SELECT id FROM webhook_deliveries WHERE enqueued_at IS NULL ORDER BY created_at LIMIT $1
           FOR UPDATE SKIP LOCKED""",
        limit,
    )
    return [(str(row["id"]), str(row["id"]), {}) for row in rows]


async def mark_deliveries_enqueued(conn: Connection, ids: Sequence[str]) -> None:
    await conn.execute("UPDATE webhook_deliveries SET enqueued_at = now() WHERE id = ANY($1::uuid[])", ids)
