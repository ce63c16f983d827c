"""The tamper-evident scan ledger: hash chain + RFC 6962 Merkle tree + Ed25519-signed checkpoints.

Appending costs a scan nothing but a sequence number (scans.ledger_seq, taken without a lock). A sealer
(one at a time, by advisory lock) walks committed scans in sequence order and, for each, stores the
RFC 6962 leaf hash of the scan's canonical record and the chain hash SHA-256(previous || leaf), keeps the
Merkle frontier and signs checkpoints. A sequence number whose transaction rolled back is sealed as a
void entry once it has been missing for the grace period. Verification recomputes everything from the
scans table and names the first entry that was edited, deleted or reordered.

Console: ``voketag-ledger-verify [--from N] [--to N] [--complete]`` (read-only; exit status 1 when the ledger
is broken, 2 with --complete when committed scans or checkpoint signatures were left unchecked).
"""

import argparse
import asyncio
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from scan_svc.keys import ledger_key, ledger_public_key
from scan_svc.metrics import LEDGER_SEALED
from scan_svc.model import Checkpoint, LedgerScan, SealedEntry
from scan_svc.settings import LedgerVerifySettings, ScanSettings
from scan_svc.storage import LedgerStore
from voketag import merkle, note
from voketag.db import Connection
from voketag.errors import Unavailable

log = logging.getLogger("scan_svc.ledger")

SEAL_BATCH = 5000
# Entries whose Merkle nodes are filled in per transaction when they were sealed without them (hashing only,
# about 0.1 s of CPU).
NODE_BATCH = 50_000
# Stored Merkle nodes the verifier compares per query.
NODE_CHECK_BATCH = 5000
# Entries hashed between two yields to the event loop: sealing a full batch at once would hold verifications
# back for a few hundred milliseconds (the hashing is pure Python work on the serving loop).
SEAL_SLICE = 200


def canonical(scan: LedgerScan) -> bytes:
    """The bytes a scan's ledger leaf commits to: sorted compact JSON of the scan row."""
    record = {
        "v": 1,
        "seq": scan.ledger_seq,
        "scan_id": scan.id,
        "product_id": str(scan.product_id),
        "batch_id": str(scan.batch_id),
        "factory_id": str(scan.factory_id),
        "scanned_at": scan.scanned_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "verdict": scan.verdict,
        "risk_score": scan.risk_score,
        "factors": json.loads(scan.factors),
        "device_hash": scan.device_hash,
        "country": scan.country,
        "latitude": scan.latitude,
        "longitude": scan.longitude,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def scan_leaf(scan: LedgerScan) -> bytes:
    return merkle.leaf_hash(canonical(scan))


def void_leaf(seq: int) -> bytes:
    return merkle.leaf_hash(f"voketag-ledger-void|{seq}".encode())


def link(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()


@dataclass
class _Batch:
    """Entries sealed in one transaction, the Merkle nodes they complete, and the sealer state after them."""

    size: int
    head: bytes
    frontier: list[bytes]
    entries: list[tuple[int, bool, bytes, bytes]] = field(default_factory=list)
    nodes: list[tuple[int, int, bytes]] = field(default_factory=list)

    def add(self, void: bool, leaf: bytes) -> None:
        self.head = link(self.head, leaf)
        self.entries.append((self.size + 1, void, leaf, self.head))
        self.frontier, completed = merkle.append_nodes(self.frontier, self.size, leaf)
        self.nodes.extend(completed)
        self.size += 1


@dataclass(frozen=True)
class Finding:
    ok: bool
    entries_checked: int
    first_bad_sequence: int = 0
    problem: str = ""
    # Committed scans of the range that no checked entry covers: not sealed yet (the sealer waits out a
    # gap), or after the first bad entry. ok says nothing about them.
    unchecked_scans: int = 0
    signatures_checked: bool = True


class Ledger:
    def __init__(
        self,
        store: LedgerStore,
        signing_key: Ed25519PrivateKey | None,
        key_id: str,
        gap_grace_s: float,
        checkpoint_interval_s: float,
        public_key: Ed25519PublicKey | None = None,
        notary: note.Signer | None = None,
    ) -> None:
        """Without ``signing_key`` the ledger can only be checked (seal=False), and checkpoint signatures only
        with ``public_key``. With ``notary`` each checkpoint is also signed as a C2SP checkpoint note."""
        self._store = store
        self._key = signing_key
        self.public_key = signing_key.public_key() if signing_key is not None else public_key
        self._key_id = key_id
        self._grace_s = gap_grace_s
        self._interval_s = checkpoint_interval_s
        self.notary = notary

    def sign(self, tree_size: int, root_hash: bytes, head_hash: bytes) -> Checkpoint:
        if self._key is None:
            raise RuntimeError("this ledger has no signing key")
        created_at = datetime.now(UTC).replace(microsecond=0)
        signature = self._key.sign(Checkpoint.text(tree_size, root_hash, created_at))
        return Checkpoint(tree_size, root_hash, head_hash, created_at, signature, self._key_id)

    async def seal(self, force_checkpoint: bool = False) -> int:
        """Seal committed scans in sequence order; return how many entries were added (0 if another sealer runs)."""
        added = 0
        while True:
            async with self._store.pool.acquire() as conn, conn.transaction():
                state = await self._store.lock_state(conn)
                if state is None:
                    return added
                if state.nodes_size < state.tree_size:
                    await self._add_missing_nodes(conn, state.nodes_size, state.tree_size)
                    continue
                batch = _Batch(state.tree_size, state.head_hash, list(state.frontier))
                for position, (scan, age_s) in enumerate(await self._store.pending(conn, batch.size, SEAL_BATCH), 1):
                    if position % SEAL_SLICE == 0:
                        await asyncio.sleep(0)
                    while scan.ledger_seq > batch.size + 1:
                        if age_s < self._grace_s:
                            break  # an earlier scan may still be committing: wait for it
                        batch.add(True, void_leaf(batch.size + 1))
                    if scan.ledger_seq != batch.size + 1:
                        break
                    batch.add(False, scan_leaf(scan))
                if batch.entries:
                    await self._store.append(conn, batch.entries, batch.nodes, batch.size, batch.head, batch.frontier)
                    LEDGER_SEALED.inc(len(batch.entries))
                    added += len(batch.entries)
                await self._maybe_checkpoint(conn, batch.size, batch.head, batch.frontier, force_checkpoint)
            if len(batch.entries) < SEAL_BATCH:
                return added

    async def _add_missing_nodes(self, conn: Connection, nodes_size: int, tree_size: int) -> None:
        """Store the Merkle nodes of up to NODE_BATCH entries after ``nodes_size`` (sealed without them), starting
        from the frontier of the nodes already stored."""
        last = min(tree_size, nodes_size + NODE_BATCH)
        (frontier,) = await stored_hashes(self._store, conn, [[node] for node in merkle.range_nodes(0, nodes_size)])
        leaves = await self._store.leaf_range(conn, nodes_size + 1, last)
        if len(leaves) != last - nodes_size:
            raise RuntimeError(f"ledger entries {nodes_size + 1}..{last} have a sequence gap")
        nodes: list[tuple[int, int, bytes]] = []
        for size, leaf in enumerate(leaves, nodes_size):
            if size % SEAL_SLICE == 0:
                await asyncio.sleep(0)
            frontier, completed = merkle.append_nodes(frontier, size, leaf)
            nodes.extend(completed)
        await self._store.add_nodes(conn, nodes, last)
        log.info("ledger merkle nodes stored", extra={"nodes_size": last, "tree_size": tree_size})

    async def _maybe_checkpoint(
        self, conn: Connection, size: int, head: bytes, frontier: list[bytes], force: bool
    ) -> None:
        latest = await self._store.latest_checkpoint(conn)
        if latest is not None and latest.tree_size == size:
            return
        due = latest is None or (datetime.now(UTC) - latest.created_at).total_seconds() >= self._interval_s
        if force or due:
            checkpoint = self.sign(size, merkle.frontier_root(frontier), head)
            await self._store.add_checkpoint(
                conn,
                checkpoint.tree_size,
                checkpoint.root_hash,
                checkpoint.head_hash,
                checkpoint.created_at,
                checkpoint.signature,
                checkpoint.key_id,
            )
            if self.notary is not None:
                text = note.Checkpoint(self.notary.name, size, checkpoint.root_hash).text()
                await self._store.sign_note(conn, size, self.notary.name, self.notary.private_key.sign(text))

    async def run(self, interval_s: float) -> None:
        """Seal forever (the scan service runs this as a background task)."""
        while True:
            try:
                await self.seal()
            except Exception:
                # The sealer must outlive any failure (PostgreSQL restarting, a bad row): log and go on.
                log.exception("ledger sealing failed; retrying")
            await asyncio.sleep(interval_s)

    async def latest(self) -> Checkpoint | None:
        return await self._store.latest_checkpoint(self._store.pool)

    async def verify(self, first: int = 0, last: int = 0, seal: bool = True) -> tuple[Finding, Checkpoint | None]:
        """Seal what is committed (unless not ``seal``), then recompute entries first..last (0 = from the start /
        to the end), and count the committed scans of that range the check did not cover."""
        if seal:
            await self.seal(force_checkpoint=True)
        async with self._store.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            size, nodes_size = await self._store.sizes(conn)
            first, requested_last = max(first, 1), last
            last = min(last, size) if last else size
            start = b"" if first == 1 else await self._store.chain_hash(conn, first - 1)
            checkpoints = await self._store.checkpoints(conn, last)
            latest = await self._store.latest_checkpoint(conn)
            # Only a walk from the first entry knows the whole tree, and so the Merkle nodes it completes.
            nodes = _NodeCheck(self._store, conn, min(nodes_size, last) if first == 1 else 0)
            finding = await self._walk(conn, first, last, start, checkpoints if first == 1 else [], nodes)
            bad_node = await nodes.flush()
            if bad_node and (finding.ok or bad_node < finding.first_bad_sequence):
                finding = Finding(False, bad_node - first, bad_node, NODE_PROBLEM)
            unchecked = await self._store.scans_in_range(conn, first + finding.entries_checked, requested_last)
        finding = replace(finding, unchecked_scans=unchecked, signatures_checked=self.public_key is not None)
        return finding, latest

    async def _walk(
        self,
        conn: Connection,
        first: int,
        last: int,
        start: bytes | None,
        checkpoints: list[Checkpoint],
        nodes: "_NodeCheck",
    ) -> Finding:
        if first > last:
            return Finding(True, 0)
        if start is None:
            return Finding(False, 0, first - 1, "entry missing (sequence gap)")
        expected, chain, frontier = first, start, list[bytes]()
        pending = iter(checkpoints)
        checkpoint = next(pending, None)
        async for entry in self._store.entries(conn, first, last):
            if entry.seq != expected:
                return Finding(False, expected - first, expected, "entry missing (sequence gap)")
            problem = _entry_problem(entry)
            if problem:
                return Finding(False, expected - first, expected, problem)
            chain = link(chain, entry.leaf_hash)
            if chain != entry.chain_hash:
                return Finding(False, expected - first, expected, "chain hash does not link to the previous entry")
            # The frontier covers entries first..expected (the whole tree when first == 1).
            frontier, completed = merkle.append_nodes(frontier, expected - first, entry.leaf_hash)
            bad_node = await nodes.add(expected, completed)
            if bad_node:
                return Finding(False, bad_node - first, bad_node, NODE_PROBLEM)
            while checkpoint is not None and checkpoint.tree_size == expected:
                if self.public_key is not None and not checkpoint.verify(self.public_key):
                    return Finding(False, expected - first + 1, expected, "checkpoint signature does not verify")
                if checkpoint.root_hash != merkle.frontier_root(frontier):
                    return Finding(False, expected - first + 1, expected, "checkpoint root does not match the entries")
                checkpoint = next(pending, None)
            expected += 1
        if expected <= last:
            return Finding(False, expected - first, expected, "entry missing (sequence gap)")
        return Finding(True, last - first + 1)

    async def consistency(self, first: int, second: int) -> tuple[list[bytes], bytes, bytes]:
        """RFC 6962 consistency proof between two sealed tree sizes, and both roots, from O(log n) stored nodes."""
        proof, roots = await stored_hashes(
            self._store,
            self._store.pool,
            merkle.consistency_nodes(first, second),
            [merkle.range_nodes(0, first), merkle.range_nodes(0, second)],
        )
        return proof, roots[0], roots[1]


async def stored_hashes(
    store: LedgerStore, conn: Connection | asyncpg.Pool, *shapes: Sequence[Sequence[merkle.Node]]
) -> list[list[bytes]]:
    """``merkle.fold`` of each shape over the stored nodes, read in one query."""
    wanted = {node for shape in shapes for nodes in shape for node in nodes}
    hashes = await store.nodes(conn, wanted)
    if len(hashes) != len(wanted):
        # Entries sealed without their nodes (before migration 1040, or by an older replica) until the sealer
        # has stored them.
        raise Unavailable(
            "DEPENDENCY_UNAVAILABLE",
            "the ledger's Merkle nodes for this tree size are still being stored; try again later",
            retry_after_s=5,
        )
    return [merkle.fold(shape, hashes) for shape in shapes]


NODE_PROBLEM = "a stored Merkle node does not match the entries"


class _NodeCheck:
    """Compares the Merkle nodes that a walk from the first entry recomputes with the stored ones (which proofs
    are served from), a batch per query."""

    def __init__(self, store: LedgerStore, conn: Connection, last: int) -> None:
        """``last``: the last entry whose nodes are checked (0: none)."""
        self._store = store
        self._conn = conn
        self._last = last
        self._pending: dict[merkle.Node, tuple[bytes, int]] = {}

    async def add(self, seq: int, completed: list[tuple[int, int, bytes]]) -> int:
        """Note the nodes entry ``seq`` completes; the first entry whose nodes are wrong or missing, or 0."""
        if seq > self._last:
            return 0
        for level, index, hash_ in completed:
            self._pending[level, index] = (hash_, seq)
        return await self.flush() if len(self._pending) >= NODE_CHECK_BATCH else 0

    async def flush(self) -> int:
        if not self._pending:
            return 0
        stored = await self._store.nodes(self._conn, self._pending)
        bad = min((seq for node, (hash_, seq) in self._pending.items() if stored.get(node) != hash_), default=0)
        self._pending.clear()
        return bad


def _entry_problem(entry: SealedEntry) -> str:
    if entry.void:
        if entry.scan is not None:
            return "a scan claims an entry that was sealed as void"
        expected_leaf = void_leaf(entry.seq)
    else:
        if entry.scan is None:
            if entry.pruned:
                # Dropped by retention after it was sealed: its leaf hash is all that is left, and the chain
                # and the signed checkpoints still check it.
                return ""
            return "scan record deleted or moved"
        expected_leaf = scan_leaf(entry.scan)
    if expected_leaf != entry.leaf_hash:
        return "hash mismatch: the scan record was edited or reordered"
    return ""


def notary(settings: ScanSettings) -> note.Signer:
    """The ledger key as the signer of C2SP notes, named by the log's origin."""
    return note.Signer(settings.ledger_origin, ledger_key(settings))


def build(pool: asyncpg.Pool, settings: ScanSettings, signer: note.Signer | None = None) -> Ledger:
    signer = signer or notary(settings)
    return Ledger(
        LedgerStore(pool),
        signer.private_key,
        settings.ledger_key_id,
        settings.ledger_gap_grace_s,
        settings.ledger_checkpoint_interval_s,
        notary=signer,
    )


def main() -> None:
    """voketag-ledger-verify: recompute the sealed scan ledger, name the first bad entry and say what it did not
    check. Read-only: it needs DATABASE_URL, and a key only to check checkpoint signatures."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--from", dest="first", type=int, default=0, help="first sequence number (default: 1)")
    parser.add_argument("--to", dest="last", type=int, default=0, help="last sequence number (default: latest)")
    parser.add_argument(
        "--complete",
        action="store_true",
        help="exit 2 unless every committed scan of the range was checked and checkpoint signatures were verified",
    )
    args = parser.parse_args()
    settings = LedgerVerifySettings()
    public_key = ledger_public_key(settings)

    async def run() -> Finding:
        pool = await asyncpg.create_pool(settings.database_url.get_secret_value(), min_size=1, max_size=2)
        try:
            ledger = Ledger(LedgerStore(pool), None, "", 0, 0, public_key=public_key)
            finding, _ = await ledger.verify(args.first, args.last, seal=False)
        finally:
            await pool.close()
        return finding

    finding = asyncio.run(run())
    print(json.dumps(finding.__dict__))
    if not finding.ok:
        sys.exit(1)
    if args.complete and (finding.unchecked_scans or not finding.signatures_checked):
        sys.exit(2)


if __name__ == "__main__":
    main()
