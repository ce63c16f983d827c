"""PostgreSQL queries of the scan service (asyncpg). Every request-path statement is counted in DB_QUERIES."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import asyncpg

from scan_svc.domain import Assessment, Place
from scan_svc.metrics import DB_QUERIES
from scan_svc.model import (
    Checkpoint,
    LedgerScan,
    LedgerState,
    NoteCheckpoint,
    PendingScan,
    ProductFacts,
    ScanEntry,
    SealedEntry,
)
from voketag import audit, merkle, tracing
from voketag.db import Connection, fetch_one
from voketag.idempotency import replay
from voketag.locks import Lock, try_xact_lock
from voketag.tokens import fingerprint

# A scan's transaction must finish well within the ledger's gap grace period (settings).
WRITE_TIMEOUT_S = 5.0

# Public facts of a product and the fraud reports against it or its batch; the caller adds the FROM source
# that names the product (a serial and the key id its batch signs with).
_PRODUCT_COLUMNS = """
p.id AS product_id, p.serial, p.external_id, p.lifecycle AS product_lifecycle,
p.public_reason AS product_public_reason, b.id AS batch_id, b.factory_id, b.sku, b.product_line,
b.product_name, b.state, b.lifecycle AS batch_lifecycle, b.public_reason AS batch_public_reason,
b.created_at AS batch_created_at, b.key_id, f.name AS factory_name, b.gtin, b.lot,
r.open_reports, r.counted_reports, r.confirmed_reports, r.batch_confirmed,
ag.chain_id, ag.tx_hash, ag.block_number, ag.confirmations, ar.anchored_at
"""
_PRODUCT_JOINS = """
JOIN batches b ON b.id = p.batch_id
JOIN factories f ON f.id = b.factory_id
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE fr.product_id = p.id AND fr.status IN ('OPEN', 'INVESTIGATING')) AS open_reports,
           count(*) FILTER (WHERE fr.product_id = p.id AND fr.status IN ('OPEN', 'INVESTIGATING')
                            AND fr.counts_publicly) AS counted_reports,
           count(*) FILTER (WHERE fr.product_id = p.id AND fr.status = 'CONFIRMED') AS confirmed_reports,
           count(*) FILTER (WHERE fr.product_id <> p.id AND fr.status = 'CONFIRMED') AS batch_confirmed
    FROM fraud_reports fr WHERE fr.batch_id = b.id
) r
LEFT JOIN anchor_records ar ON ar.batch_id = b.id
LEFT JOIN anchor_aggregations ag ON ag.id = ar.aggregation_id
"""

_LOOKUP = f"""
SELECT {_PRODUCT_COLUMNS}, coalesce(c.scan_count, 0) AS scan_count, c.first_scanned_at
FROM products p {_PRODUCT_JOINS}
LEFT JOIN scan_counters c ON c.product_id = p.id
WHERE p.serial = $1 AND b.key_id = $2
"""
_LOOKUP_GTIN = _LOOKUP.replace("b.key_id = $2", "b.gtin = $2")

# A batch of scans, one input row per scanned code (its scans in the batch aggregated): product facts, the
# counter upsert and the ledger sequence numbers of the code's scans, in one statement. The counter's row
# lock orders concurrent transactions on one code, so counts are exact. prev_* is the located scan before
# this update, kept so that RETURNING can report it (PostgreSQL 16 has no OLD in RETURNING).
_COUNT = f"""
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::timestamptz[], $5::timestamptz[],
                         $6::float8[], $7::float8[], $8::text[], $9::timestamptz[])
        AS i(serial, key_id, scans, first_at, last_at, loc_latitude, loc_longitude, loc_country, loc_at)
),
product AS (
    SELECT {_PRODUCT_COLUMNS}, i.scans FROM input i
    JOIN products p ON p.serial = i.serial {_PRODUCT_JOINS}
    WHERE b.key_id = i.key_id
),
counted AS (
    INSERT INTO scan_counters AS c (product_id, scan_count, first_scanned_at, last_scanned_at,
                                    loc_latitude, loc_longitude, loc_country, loc_at)
    SELECT product.product_id, i.scans, i.first_at, i.last_at, i.loc_latitude, i.loc_longitude, i.loc_country,
           i.loc_at
    FROM product JOIN input i USING (serial)
    ON CONFLICT (product_id) DO UPDATE SET
        scan_count = c.scan_count + EXCLUDED.scan_count,
        last_scanned_at = EXCLUDED.last_scanned_at,
        prev_latitude = c.loc_latitude,
        prev_longitude = c.loc_longitude,
        prev_country = c.loc_country,
        prev_at = c.loc_at,
        loc_latitude = CASE WHEN EXCLUDED.loc_at IS NULL THEN c.loc_latitude ELSE EXCLUDED.loc_latitude END,
        loc_longitude = CASE WHEN EXCLUDED.loc_at IS NULL THEN c.loc_longitude ELSE EXCLUDED.loc_longitude END,
        loc_country = CASE WHEN EXCLUDED.loc_at IS NULL THEN c.loc_country ELSE EXCLUDED.loc_country END,
        loc_at = coalesce(EXCLUDED.loc_at, c.loc_at)
    RETURNING product_id, scan_count, first_scanned_at, prev_latitude, prev_longitude, prev_country, prev_at
)
SELECT product.*, counted.scan_count, counted.first_scanned_at, counted.prev_latitude, counted.prev_longitude,
       counted.prev_country, counted.prev_at,
       ARRAY(SELECT nextval('scan_ledger_seq') FROM generate_series(1, product.scans)) AS ledger_seqs
FROM product JOIN counted USING (product_id)
"""

_INSERT_SCANS = """
INSERT INTO scans (ledger_seq, product_id, batch_id, factory_id, scanned_at, verdict, risk_score, factors,
                   device_hash, country, latitude, longitude)
SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::text[],
                     $7::smallint[], $8::jsonb[], $9::text[], $10::text[], $11::float8[], $12::float8[])
RETURNING *
"""


# An unreviewed report moves the public verdict only when the reporter's device scanned the code before and
# no counted report on the product came from that device or network yet (docs/scan.md, "Fraud reports").
_COUNTS_PUBLICLY = """(EXISTS (SELECT 1 FROM scans s WHERE s.product_id = $2 AND s.device_hash = $8)
    AND NOT EXISTS (SELECT 1 FROM fraud_reports c WHERE c.product_id = $2 AND c.counts_publicly
                    AND (c.reporter_device = $8 OR c.reporter_network = $9)))"""
_INSERT_REPORT = """
INSERT INTO fraud_reports (id, product_id, batch_id, factory_id, contact, description, created_at, updated_at,
                           reporter_device, reporter_network, scan_id, country_code, token_fingerprint,
                           counterfeit_token, counts_publicly)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, {counts})
"""
_INSERT_COUNTED_REPORT = _INSERT_REPORT.format(counts=_COUNTS_PUBLICLY)
_INSERT_UNCOUNTED_REPORT = _INSERT_REPORT.format(counts="false")


_FIND_REPORT = """SELECT report_id, created_at, request_hash FROM scan_report_meta
                  WHERE request_scope = $1 AND request_id = $2"""


def _report_key(row: asyncpg.Record) -> tuple[uuid.UUID, datetime]:
    return row["report_id"], row["created_at"]


def _replayed(row: asyncpg.Record | None, request_hash: str) -> tuple[uuid.UUID, datetime] | None:
    if row is None:
        return None
    return replay("fraud report", _report_key(row), row["request_hash"], request_hash)


@dataclass(frozen=True)
class NewReport:
    """A fraud report to file. scope: keyed hash of the reporter's device and the token (request id scope);
    reporter_device / reporter_network: keyed hashes; product: None for a token that names no product."""

    product: ProductFacts | None
    token: str
    contact: str
    description: str
    country: str
    request_id: str | None
    request_hash: str
    scan_id: int | None
    scope: str
    reporter_device: str
    reporter_network: str


@dataclass(frozen=True)
class Counted:
    scan_count: int
    first_scanned_at: datetime
    previous: Place | None


@dataclass(frozen=True)
class NewScan:
    serial: int
    key_id: int
    scanned_at: datetime
    device_hash: str
    place: Place | None
    # False when the place contradicts what this client claimed before: it never becomes the code's trail.
    trail: bool = True


@dataclass(frozen=True)
class Recorded:
    product: ProductFacts
    counted: Counted
    assessment: Assessment
    scan_id: int
    ledger_seq: int
    # The scans row as stored (what its ledger leaf commits to); None until written.
    stored: LedgerScan | None = None


class ScanStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def lookup(self, serial: int, key_id: int) -> ProductFacts | None:
        """Product facts with the current scan count, without recording anything."""
        DB_QUERIES.labels("lookup").inc()
        row = await self._pool.fetchrow(_LOOKUP, serial, key_id)
        return None if row is None else ProductFacts.from_row(row)

    async def lookup_gtin(self, serial: int, gtin: str) -> ProductFacts | None:
        """Like lookup, for a GS1 Digital Link without a token: the product with this serial and GTIN."""
        DB_QUERIES.labels("lookup").inc()
        row = await self._pool.fetchrow(_LOOKUP_GTIN, serial, gtin)
        return None if row is None else ProductFacts.from_row(row)

    async def find_report(self, scope: str, request_id: str, request_hash: str) -> tuple[uuid.UUID, datetime] | None:
        DB_QUERIES.labels("find_report").inc()
        return _replayed(await self._pool.fetchrow(_FIND_REPORT, scope, request_id), request_hash)

    async def file_report(self, report: NewReport) -> tuple[uuid.UUID, datetime]:
        """Store a fraud report (shared fraud_reports when the token names a product); idempotent on the request
        id within its scope."""
        report_id = uuid.uuid4()
        async with self._pool.acquire() as conn, conn.transaction():
            DB_QUERIES.labels("file_report").inc()
            # The idempotency row first: a concurrent retry waits on the unique key, then finds the report.
            claimed = await conn.fetchrow(
                """INSERT INTO scan_report_meta (report_id, request_id, scan_id, request_scope, request_hash)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (request_scope, request_id) DO NOTHING RETURNING created_at""",
                report_id,
                report.request_id,
                report.scan_id,
                report.scope,
                report.request_hash,
            )
            if claimed is None:
                earlier = await fetch_one(conn, _FIND_REPORT, report.scope, report.request_id)
                return replay("fraud report", _report_key(earlier), earlier["request_hash"], report.request_hash)
            # A report about a code that names no product (a counterfeit) keeps the reported text: it is
            # the counterfeiter's string, not a brand secret. A genuine code is kept as its fingerprint only.
            product = report.product
            subject = (product.product_id, product.batch_id, product.factory_id) if product else (None,) * 3
            values = (
                report_id,
                *subject,
                report.contact,
                report.description,
                claimed["created_at"],
                report.reporter_device,
                report.reporter_network,
                report.scan_id,
                report.country,
                fingerprint(report.token),
                None if product else report.token,
            )
            if product is None:
                await conn.execute(_INSERT_UNCOUNTED_REPORT, *values)
            else:
                try:
                    # A savepoint: two concurrent first reports from one device or network race on the unique
                    # indexes of counted reports; the loser is filed as a report that does not count.
                    async with conn.transaction():
                        await conn.execute(_INSERT_COUNTED_REPORT, *values)
                except asyncpg.UniqueViolationError:
                    await conn.execute(_INSERT_UNCOUNTED_REPORT, *values)
            await audit.record(
                conn,
                "fraud_report",
                str(report_id),
                {"product_id": str(subject[0] or ""), "token_fingerprint": fingerprint(report.token)},
            )
        return report_id, claimed["created_at"]

    async def scan_belongs_to(self, scan_id: int, product_id: uuid.UUID) -> bool:
        DB_QUERIES.labels("scan_owner").inc()
        owner = await self._pool.fetchval("SELECT product_id FROM scans WHERE id = $1", scan_id)
        return owner is not None and owner == product_id


Assess = Callable[[ProductFacts, Counted], Assessment]


@dataclass
class _Pending:
    scan: NewScan
    assess: Assess
    done: asyncio.Future[Recorded | None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    # Made in the caller's context (record), so that the commit's spans join the request's trace.
    origin: tracing.Origin = field(default_factory=tracing.origin)


class ScanWriter:
    """Records scans with group commit: the scans that arrive while a transaction is busy share the next one.

    One writer task takes every queued scan (up to ``max_batch``) and records them all in one transaction of
    two set-based statements (counters, then scans), answering each caller only after the commit. Under
    light load a batch is one scan; under load one commit (and one WAL flush) serves many scans. A single
    writer cannot deadlock with itself, and two scans of one code in a batch are counted in arrival order.
    """

    def __init__(self, pool: asyncpg.Pool, max_batch: int) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer task (inside the running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def record(self, scan: NewScan, assess: Assess) -> Recorded | None:
        """Count the scan, score it with ``assess``, store it; None (nothing written) when no product matches."""
        pending = _Pending(scan, assess)
        self._queue.put_nowait(pending)
        return await pending.done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self._write(batch)
            except Exception as exc:  # every caller of the batch gets the failure; the writer goes on
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(exc)
            else:
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_result(results.get(id(pending)))

    async def _write(self, batch: list[_Pending]) -> dict[int, Recorded]:
        codes: dict[tuple[int, int], list[_Pending]] = {}
        for pending in batch:
            codes.setdefault((pending.scan.serial, pending.scan.key_id), []).append(pending)
        with tracing.on_behalf_of("scan group commit", [pending.origin for pending in batch]):
            async with self._pool.acquire() as conn, conn.transaction():
                DB_QUERIES.labels("count").inc()
                rows = await conn.fetch(_COUNT, *_count_arguments(codes), timeout=WRITE_TIMEOUT_S)
                scored = [item for row in rows for item in _score(row, codes[(row["serial"], row["key_id"])])]
                DB_QUERIES.labels("insert_scans").inc()
                stored = await conn.fetch(_INSERT_SCANS, *_scan_arguments(scored), timeout=WRITE_TIMEOUT_S)
        by_seq = {scan.ledger_seq: scan for scan in map(LedgerScan.from_row, stored)}
        return {
            id(pending): replace(recorded, scan_id=by_seq[recorded.ledger_seq].id, stored=by_seq[recorded.ledger_seq])
            for pending, recorded in scored
        }


def _count_arguments(codes: dict[tuple[int, int], list[_Pending]]) -> list[list[Any]]:
    """Columns of the _COUNT input: one row per code, with the last located scan of the batch."""
    columns: list[list[Any]] = [[] for _ in range(9)]
    for (serial, key_id), scans in codes.items():
        located = [pending.scan.place for pending in scans if pending.scan.place is not None and pending.scan.trail]
        last = located[-1] if located else None
        values = (
            serial,
            key_id,
            len(scans),
            scans[0].scan.scanned_at,
            scans[-1].scan.scanned_at,
            last.latitude if last else None,
            last.longitude if last else None,
            last.country if last else "",
            last.at if last else None,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


def _score(row: asyncpg.Record, scans: list[_Pending]) -> list[tuple[_Pending, Recorded]]:
    """Each scan of one code in arrival order: its count, the located scan before it, its assessment."""
    previous = None
    if row["prev_at"] is not None:
        previous = Place(row["prev_latitude"], row["prev_longitude"], row["prev_country"], row["prev_at"])
    first_count = row["scan_count"] - len(scans) + 1
    scored = []
    product = ProductFacts.from_row(row)
    for offset, (pending, sequence) in enumerate(zip(scans, sorted(row["ledger_seqs"]), strict=True)):
        counted = Counted(first_count + offset, row["first_scanned_at"], previous)
        scored.append((pending, Recorded(product, counted, pending.assess(product, counted), 0, sequence)))
        if pending.scan.trail:
            previous = pending.scan.place or previous
    return scored


def _scan_arguments(scored: list[tuple[_Pending, Recorded]]) -> list[list[Any]]:
    columns: list[list[Any]] = [[] for _ in range(12)]
    for pending, recorded in scored:
        place, row, assessment = pending.scan.place, recorded.product, recorded.assessment
        values = (
            recorded.ledger_seq,
            row.product_id,
            row.batch_id,
            row.factory_id,
            pending.scan.scanned_at,
            assessment.verdict.value,
            assessment.brand_score,  # staff see unreviewed reports at full weight
            json.dumps([factor.as_json() for factor in assessment.factors]),
            pending.scan.device_hash,
            place.country if place else "",
            place.latitude if place else None,
            place.longitude if place else None,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


async def _copy_nodes(conn: Connection, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    # Half of all appended leaves complete no subtree: no round trip for an empty COPY.
    if nodes:
        await conn.copy_records_to_table("scan_ledger_nodes", records=nodes, columns=["level", "idx", "hash"])


_CHECKPOINT_COLUMNS = "tree_size, root_hash, head_hash, created_at, signature, key_id"


class LedgerStore:
    """Ledger tables; the sealer and the verifier pass their own connection (one transaction each)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def lock_state(self, conn: Connection) -> LedgerState | None:
        """The sealer state, locked; None when another sealer holds the lock."""
        if not await try_xact_lock(conn, Lock.LEDGER_SEAL):
            return None
        row = await fetch_one(
            conn, "SELECT tree_size, head_hash, frontier, nodes_size FROM scan_ledger_state FOR UPDATE"
        )
        return LedgerState(row["tree_size"], row["head_hash"], list(row["frontier"]), row["nodes_size"])

    async def pending(self, conn: Connection, after: int, limit: int) -> list[PendingScan]:
        """Committed scans after sequence ``after``, in sequence order, with their age."""
        rows = await conn.fetch(
            """SELECT s.*, extract(epoch FROM now() - s.scanned_at)::float8 AS age_s FROM scans s
               WHERE s.ledger_seq > $1 ORDER BY s.ledger_seq LIMIT $2""",
            after,
            limit,
        )
        return [PendingScan(LedgerScan.from_row(row), row["age_s"]) for row in rows]

    async def append(
        self,
        conn: Connection,
        entries: Sequence[tuple[int, bool, bytes, bytes]],
        nodes: Sequence[tuple[int, int, bytes]],
        tree_size: int,
        head_hash: bytes,
        frontier: Sequence[bytes],
    ) -> None:
        """Seal ``entries`` with the Merkle ``nodes`` (level, index, hash) they complete; the nodes of every
        earlier entry must be stored already."""
        await conn.copy_records_to_table(
            "scan_ledger", records=entries, columns=["seq", "void", "leaf_hash", "chain_hash"]
        )
        await _copy_nodes(conn, nodes)
        await conn.execute(
            "UPDATE scan_ledger_state SET tree_size = $1, head_hash = $2, frontier = $3, nodes_size = $1",
            tree_size,
            head_hash,
            list(frontier),
        )

    async def add_nodes(self, conn: Connection, nodes: Sequence[tuple[int, int, bytes]], nodes_size: int) -> None:
        """Store the Merkle nodes of entries sealed without them; every node of the first ``nodes_size`` entries
        is stored once this commits."""
        await _copy_nodes(conn, nodes)
        await conn.execute("UPDATE scan_ledger_state SET nodes_size = $1", nodes_size)

    async def nodes(self, conn: Connection | asyncpg.Pool, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
        """The stored hashes of the ``wanted`` nodes (level 0: the leaves), in one query; absent ones are left out."""
        levels, indexes = [], []
        for level, index in wanted:
            levels.append(level)
            indexes.append(index)
        rows = await conn.fetch(
            """SELECT n.level, n.idx, n.hash FROM unnest($1::smallint[], $2::bigint[]) AS w (level, idx)
                   JOIN scan_ledger_nodes n USING (level, idx)
               UNION ALL
               SELECT 0, l.seq - 1, l.leaf_hash FROM unnest($1::smallint[], $2::bigint[]) AS w (level, idx)
                   JOIN scan_ledger l ON w.level = 0 AND l.seq = w.idx + 1""",
            levels,
            indexes,
        )
        return {(row["level"], row["idx"]): row["hash"] for row in rows}

    async def leaf_range(self, conn: Connection, first: int, last: int) -> list[bytes]:
        """Leaf hashes of the sealed entries first..last, in sequence order."""
        rows = await conn.fetch(
            "SELECT leaf_hash FROM scan_ledger WHERE seq BETWEEN $1 AND $2 ORDER BY seq", first, last
        )
        return [row["leaf_hash"] for row in rows]

    async def add_checkpoint(
        self,
        conn: Connection,
        tree_size: int,
        root_hash: bytes,
        head_hash: bytes,
        created_at: datetime,
        signature: bytes,
        key_id: str,
    ) -> None:
        await conn.execute(
            """INSERT INTO scan_ledger_checkpoints (tree_size, root_hash, head_hash, created_at, signature, key_id)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tree_size) DO NOTHING""",
            tree_size,
            root_hash,
            head_hash,
            created_at,
            signature,
            key_id,
        )

    async def sign_note(self, conn: Connection, tree_size: int, origin: str, signature: bytes) -> None:
        await conn.execute(
            "UPDATE scan_ledger_checkpoints SET origin = $2, note_signature = $3 WHERE tree_size = $1",
            tree_size,
            origin,
            signature,
        )

    async def note_checkpoint(self, conn: Connection | asyncpg.Pool, tree_size: int) -> NoteCheckpoint | None:
        """A checkpoint signed as a note (the latest one when ``tree_size`` is 0) with its cosignature lines."""
        row = await conn.fetchrow(
            """SELECT c.tree_size, c.root_hash, c.origin, c.note_signature,
                      ARRAY(SELECT w.line FROM scan_ledger_cosignatures w WHERE w.tree_size = c.tree_size
                            ORDER BY w.witness) AS cosignatures
               FROM scan_ledger_checkpoints c
               WHERE c.note_signature IS NOT NULL AND ($1 = 0 OR c.tree_size = $1)
               ORDER BY c.tree_size DESC LIMIT 1""",
            tree_size,
        )
        return None if row is None else NoteCheckpoint(**dict(row))

    async def add_cosignature(
        self, conn: Connection | asyncpg.Pool, tree_size: int, witness: str, line: str, signed_at: datetime
    ) -> None:
        """Keep a witness's newest cosignature of a checkpoint."""
        await conn.execute(
            """INSERT INTO scan_ledger_cosignatures (tree_size, witness, line, signed_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (tree_size, witness) DO UPDATE SET line = EXCLUDED.line, signed_at = EXCLUDED.signed_at
               WHERE scan_ledger_cosignatures.signed_at < EXCLUDED.signed_at""",
            tree_size,
            witness,
            line,
            signed_at,
        )

    async def entry(self, conn: Connection | asyncpg.Pool, seq: int) -> ScanEntry | None:
        """The committed scan of ``seq`` with its leaf hash once sealed; None when no scan has it."""
        row = await conn.fetchrow(
            """SELECT s.*, l.leaf_hash FROM scans s LEFT JOIN scan_ledger l ON l.seq = s.ledger_seq
               WHERE s.ledger_seq = $1""",
            seq,
        )
        return None if row is None else ScanEntry(LedgerScan.from_row(row), row["leaf_hash"])

    async def latest_checkpoint(self, conn: Connection | asyncpg.Pool) -> Checkpoint | None:
        row = await conn.fetchrow(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM scan_ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"
        )
        return None if row is None else Checkpoint.from_row(row)

    async def checkpoints(self, conn: Connection, last: int) -> list[Checkpoint]:
        rows = await conn.fetch(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM scan_ledger_checkpoints WHERE tree_size <= $1 ORDER BY tree_size", last
        )
        return [Checkpoint.from_row(row) for row in rows]

    async def sizes(self, conn: Connection) -> tuple[int, int]:
        """The sealed tree size, and the tree size whose Merkle nodes are all stored."""
        row = await fetch_one(conn, "SELECT tree_size, nodes_size FROM scan_ledger_state")
        return row["tree_size"], row["nodes_size"]

    async def scans_in_range(self, conn: Connection, first: int, last: int) -> int:
        """Committed scans with sequence numbers first..last (0: no upper bound)."""
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM scans WHERE ledger_seq >= $1 AND ($2 = 0 OR ledger_seq <= $2)", first, last
            )
        )

    async def chain_hash(self, conn: Connection, seq: int) -> bytes | None:
        return await conn.fetchval("SELECT chain_hash FROM scan_ledger WHERE seq = $1", seq)

    async def entries(self, conn: Connection, first: int, last: int) -> AsyncIterator[SealedEntry]:
        """Sealed entries first..last with the scan each names (None when it is gone, or pruned), by cursor."""
        async for row in conn.cursor(
            """SELECT l.seq, l.void, l.pruned, l.leaf_hash, l.chain_hash, s.id AS scan_id, s.*
               FROM scan_ledger l LEFT JOIN scans s ON s.ledger_seq = l.seq
               WHERE l.seq BETWEEN $1 AND $2 ORDER BY l.seq""",
            first,
            last,
            prefetch=2000,
        ):
            scan = None if row["scan_id"] is None else LedgerScan.from_row(row)
            yield SealedEntry(row["seq"], row["void"], row["pruned"], row["leaf_hash"], row["chain_hash"], scan)
