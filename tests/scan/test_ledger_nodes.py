"""Ledger proofs from stored Merkle nodes: the node arithmetic against the full-tree reference proofs of
voketag.merkle, and a real ledger in PostgreSQL whose served proofs equal the reference and verify, also after
its nodes were filled in for entries sealed without them, and whose verifier catches a tampered node."""

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from scan_svc import ledger as ledger_module
from scan_svc.ledger import NODE_PROBLEM, Ledger, build, link, void_leaf
from scan_svc.storage import LedgerStore
from scan_svc.tlog import Transparency
from tests.scan.test_partitions import add_scans, scan_database, settings_for
from voketag import merkle, migrations
from voketag.errors import Unavailable


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _all_nodes(leaves: list[bytes]) -> dict[merkle.Node, bytes]:
    """Every node a log stores while appending ``leaves`` (through append_nodes), with the leaves as level 0."""
    hashes: dict[merkle.Node, bytes] = {}
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        hashes[0, size] = leaf
        frontier, completed = merkle.append_nodes(frontier, size, leaf)
        for level, index, hash_ in completed:
            hashes[level, index] = hash_
    return hashes


def _read(entries: list[list[merkle.Node]]) -> int:
    return sum(len(nodes) for nodes in entries)


def test_append_stores_exactly_the_perfect_subtrees() -> None:
    leaves = _leaves(70)
    tree = merkle.levels(leaves)
    hashes = _all_nodes(leaves)
    perfect = {(level, index) for level in range(len(tree)) for index in range(len(leaves) >> level)}
    assert set(hashes) == perfect
    assert all(hashes[level, index] == tree[level][index] for level, index in perfect)


def test_proofs_from_nodes_equal_the_reference_for_every_index_and_size_up_to_70() -> None:
    leaves = _leaves(70)
    hashes = _all_nodes(leaves)
    for size in range(1, len(leaves) + 1):
        tree = leaves[:size]
        bound = 2 * size.bit_length()
        assert merkle.fold([merkle.range_nodes(0, size)], hashes) == [merkle.root(tree)]
        for index in range(size):
            entries = merkle.inclusion_nodes(index, size)
            assert merkle.fold(entries, hashes) == merkle.inclusion_proof(tree, index), (index, size)
            assert _read(entries) <= bound
        for first in range(1, size + 1):
            entries = merkle.consistency_nodes(first, size)
            assert merkle.fold(entries, hashes) == merkle.consistency_proof(first, tree), (first, size)
            assert _read(entries) <= 2 * bound


def test_proofs_from_nodes_equal_the_reference_for_random_pairs_of_larger_trees() -> None:
    draw = random.Random(6962)
    leaves = _leaves(5000)
    hashes = _all_nodes(leaves)
    for _ in range(40):
        size = draw.randint(71, len(leaves))
        tree = leaves[:size]
        index, first = draw.randrange(size), draw.randint(1, size)
        assert merkle.fold(merkle.inclusion_nodes(index, size), hashes) == merkle.inclusion_proof(tree, index)
        assert merkle.fold(merkle.consistency_nodes(first, size), hashes) == merkle.consistency_proof(first, tree)


def test_node_requests_outside_the_tree_are_refused() -> None:
    with pytest.raises(IndexError):
        merkle.inclusion_nodes(5, 5)
    for first, second in ((0, 3), (4, 3)):
        with pytest.raises(ValueError):
            merkle.consistency_nodes(first, second)


# --- a sealed ledger in PostgreSQL ---

NODES = 1040
# Checkpoints are signed at these tree sizes: powers of two, one past and one before them, and others.
SIZES = (1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 64, 70)


@pytest.fixture
async def sealed(fresh_database: str) -> AsyncIterator[tuple[asyncpg.Pool, Ledger, Transparency]]:
    """A ledger sealed (with a signed checkpoint note) at each of SIZES."""
    async with scan_database(fresh_database) as (pool, settings, catalog):
        product = await catalog.product()
        ledger = build(pool, settings)
        assert ledger.notary is not None
        size = 0
        for target in SIZES:
            await add_scans(pool, product, datetime.now(UTC), target - size)
            assert await ledger.seal(force_checkpoint=True) == target - size
            size = target
        yield pool, ledger, Transparency(LedgerStore(pool), ledger.notary, [])


async def _reference(pool: asyncpg.Pool) -> list[bytes]:
    return [row["leaf_hash"] for row in await pool.fetch("SELECT leaf_hash FROM scan_ledger ORDER BY seq")]


async def _served_proofs_match(pool: asyncpg.Pool, ledger: Ledger, transparency: Transparency) -> None:
    leaves = await _reference(pool)
    for size in SIZES:
        tree = leaves[:size]
        checkpoint_root = merkle.root(tree)
        for index in range(size):
            served_size, leaf, proof, signed = await transparency.inclusion(index, size)
            assert (served_size, leaf) == (size, leaves[index]) and f"\n{size}\n" in signed
            assert proof == merkle.inclusion_proof(tree, index)
            assert merkle.verify_inclusion(leaf, index, size, proof, checkpoint_root)
        for first in SIZES:
            if first > size:
                break
            proof, first_root, second_root = await ledger.consistency(first, size)
            assert (first_root, second_root) == (merkle.root(leaves[:first]), checkpoint_root)
            assert proof == merkle.consistency_proof(first, tree)
            assert merkle.verify_consistency(first, size, first_root, second_root, proof)
    last = SIZES[-1]
    for first in range(1, last + 1):
        proof, first_root, second_root = await ledger.consistency(first, last)
        assert merkle.verify_consistency(first, last, first_root, second_root, proof)


async def test_served_proofs_equal_the_reference_and_verify(sealed) -> None:
    pool, ledger, transparency = sealed
    assert await pool.fetchval("SELECT count(*) FROM scan_ledger_nodes") == sum(
        SIZES[-1] >> level for level in range(1, SIZES[-1].bit_length())
    )
    await _served_proofs_match(pool, ledger, transparency)
    finding, _ = await ledger.verify()
    assert finding.ok and finding.entries_checked == SIZES[-1]


async def test_nodes_of_entries_sealed_without_them_are_filled_in_and_survive_a_crash_midway(
    sealed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database sealed before migration 1040 (entries, no nodes): the sealer stores the nodes in batches; a
    failure between two batches keeps the committed ones and the next round goes on from there."""
    pool, ledger, transparency = sealed
    stored = await pool.fetch("SELECT level, idx, hash FROM scan_ledger_nodes ORDER BY level, idx")
    await pool.execute("DELETE FROM scan_ledger_nodes")
    await pool.execute("UPDATE scan_ledger_state SET nodes_size = 0")
    with pytest.raises(Unavailable):
        await transparency.inclusion(3, 8)
    with pytest.raises(Unavailable):
        await ledger.consistency(1, 2)

    monkeypatch.setattr(ledger_module, "NODE_BATCH", 7)
    store = LedgerStore(pool)
    calls = 0
    add_nodes = store.add_nodes

    async def crash_on_the_second_batch(conn, nodes, nodes_size) -> None:
        nonlocal calls
        calls += 1
        await add_nodes(conn, nodes, nodes_size)
        if calls == 2:
            raise ConnectionError("the service stopped")

    monkeypatch.setattr(store, "add_nodes", crash_on_the_second_batch)
    crashing = Ledger(store, None, "", 0, 0)
    with pytest.raises(ConnectionError):
        await crashing.seal()
    assert await pool.fetchval("SELECT nodes_size FROM scan_ledger_state") == 7
    assert await pool.fetchval("SELECT count(*) FROM scan_ledger_nodes") == 4  # those of entries 1..7

    assert await ledger.seal(force_checkpoint=True) == 0
    assert await pool.fetchval("SELECT nodes_size FROM scan_ledger_state") == SIZES[-1]
    assert await pool.fetch("SELECT level, idx, hash FROM scan_ledger_nodes ORDER BY level, idx") == stored
    await _served_proofs_match(pool, ledger, transparency)
    finding, _ = await ledger.verify()
    assert finding.ok and finding.entries_checked == SIZES[-1]


async def test_a_database_sealed_before_migration_1040_gets_its_nodes_and_serves_the_same_proofs(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = migrations.available
    monkeypatch.setattr(migrations, "available", lambda: [m for m in everything() if m.version != NODES])
    size = 45
    async with asyncpg.create_pool(fresh_database, min_size=1, max_size=3) as pool:
        async with pool.acquire() as conn:
            await migrations.migrate(conn)
        # The ledger as the sealer before 1040 left it (void entries need no scans): entries and state, no nodes.
        chain, frontier, entries = b"", list[bytes](), []
        for seq in range(1, size + 1):
            leaf = void_leaf(seq)
            chain = link(chain, leaf)
            entries.append((seq, True, leaf, chain))
            frontier, _ = merkle.append_nodes(frontier, seq - 1, leaf)
        await pool.copy_records_to_table(
            "scan_ledger", records=entries, columns=["seq", "void", "leaf_hash", "chain_hash"]
        )
        await pool.execute(
            "UPDATE scan_ledger_state SET tree_size = $1, head_hash = $2, frontier = $3", size, chain, frontier
        )
        monkeypatch.setattr(migrations, "available", everything)
        async with pool.acquire() as conn:
            assert await migrations.migrate(conn) == [NODES]

        ledger = build(pool, settings_for(fresh_database))
        assert ledger.notary is not None
        assert await ledger.seal(force_checkpoint=True) == 0
        assert await pool.fetchval("SELECT nodes_size FROM scan_ledger_state") == size
        transparency = Transparency(LedgerStore(pool), ledger.notary, [])
        leaves = [entry[2] for entry in entries]
        for index in range(size):
            assert (await transparency.inclusion(index, size))[1:3] == (
                leaves[index],
                merkle.inclusion_proof(leaves, index),
            )
        for first in range(1, size + 1):
            assert await ledger.consistency(first, size) == (
                merkle.consistency_proof(first, leaves),
                merkle.root(leaves[:first]),
                merkle.root(leaves),
            )
        finding, checkpoint = await ledger.verify()
        assert finding.ok and finding.entries_checked == size
        assert checkpoint is not None and checkpoint.root_hash == merkle.root(leaves)


@pytest.mark.parametrize(("change", "level", "index"), [("UPDATE", 2, 3), ("DELETE", 5, 0), ("UPDATE", 6, 0)])
async def test_verifier_names_the_entry_of_a_tampered_or_missing_node(
    sealed, change: str, level: int, index: int
) -> None:
    pool, ledger, _ = sealed
    where = "WHERE level = $1 AND idx = $2"
    if change == "UPDATE":
        statement = f"UPDATE scan_ledger_nodes SET hash = sha256(hash) {where}"
    else:
        statement = f"DELETE FROM scan_ledger_nodes {where}"
    assert (await pool.execute(statement, level, index)).endswith(" 1")
    completed_by = (index + 1) << level
    finding, _ = await ledger.verify(seal=False)
    assert (finding.ok, finding.first_bad_sequence, finding.problem) == (False, completed_by, NODE_PROBLEM)
    assert finding.entries_checked == completed_by - 1
