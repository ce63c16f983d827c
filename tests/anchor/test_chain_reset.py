"""The node loses the chain we anchored on (restarted fresh under the same database) or our queued nonces:
anchoring notices, says so, and anchors again with nonces from the chain; proofs of the lost chain stop
saying ANCHORED meanwhile."""

import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from anchor_svc import storage
from anchor_svc.usecases import Anchoring
from devmesh.mesh import Anvil
from voketag.errors import FailedPrecondition

from .conftest import RING, SENDER, run_until, settings_for, states
from .test_anchoring import sealed_batches


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _product_of(pool, batch_id: str) -> str:
    return str(await pool.fetchval("SELECT id FROM products WHERE batch_id = $1 LIMIT 1", batch_id))


async def test_a_fresh_chain_under_the_same_database_is_detected_and_everything_is_anchored_again(
    pool, database, anvil, chain, make_anchorer, tmp_path: Path
) -> None:
    anchorer = make_anchorer()
    old = []
    for _ in range(2):
        # One aggregation each: our stored next nonce ends ahead of a fresh chain's 0.
        old += await sealed_batches(pool, 1)
        async with pool.acquire() as conn:
            await storage.ensure_record(conn, old[-1], urgent=True)
        await run_until(anchorer, pool, old[-1:], "ANCHORED")
    assert await pool.fetchval("SELECT next_nonce FROM anchor_nonces") == 2
    settings = settings_for(database, anvil.url)
    anchoring = Anchoring(pool, chain, RING, settings, enqueue=lambda _: None)
    assert (await anchoring.verify(old[0])).ok
    before = _metric("anchor_chain_resyncs_total", reason="chain_changed")

    # The node restarts as a new chain on the same address (what `make up` did before it kept anvil's state).
    anvil.stop()
    fresh = Anvil(tmp_path / "fresh-anvil.log", anvil.port)
    reset_at = time.monotonic()
    try:
        new = await sealed_batches(pool, 1)
        async with pool.acquire() as conn:
            await storage.ensure_record(conn, new[0], urgent=True)
        await anchorer.cycle()

        # Reported: state, last_error, metric; the lost anchors are no longer claimed.
        found = await states(pool, old)
        assert set(found.values()) <= {"PENDING", "SUBMITTED"}, found
        orphaned = await pool.fetch("SELECT last_error FROM anchor_aggregations WHERE state = 'ORPHANED'")
        assert len(orphaned) == 2 and all("chain changed" in row["last_error"] for row in orphaned)
        assert _metric("anchor_chain_resyncs_total", reason="chain_changed") == before + 1
        with pytest.raises(FailedPrecondition):
            await anchoring.proof(await _product_of(pool, old[0]))

        # Recovered by itself: everything on the current chain, nonces from 0.
        await run_until(anchorer, pool, old + new, "ANCHORED")
        print(f"\nfresh chain: all batches ANCHORED again {time.monotonic() - reset_at:.1f} s after it started")
        for batch_id in old + new:
            verification = await anchoring.verify(batch_id)
            assert verification.ok, verification.explanation
        live = await pool.fetch(
            "SELECT nonce FROM anchor_aggregations WHERE state = 'ANCHORED' AND sender = $1 ORDER BY nonce", SENDER
        )
        assert [row["nonce"] for row in live] == list(range(len(live)))
        assert await pool.fetchval("SELECT count(*) FROM anchor_chains WHERE retired_at IS NOT NULL") == 1
        bundle = await anchoring.proof(await _product_of(pool, old[0]))
        assert bundle.anchor.tx_hash == (await storage.record(pool, old[0])).tx_hash
    finally:
        fresh.stop()


async def test_a_nonce_gap_on_the_same_chain_is_closed_with_nonces_from_the_chain(pool, make_anchorer) -> None:
    anchorer = make_anchorer()
    batch_ids = await sealed_batches(pool, 1)
    await anchorer.cycle()  # records the chain
    # The database refers to more nonces than the chain kept (a node that lost transactions of ours).
    await pool.execute("INSERT INTO anchor_nonces (chain_id, sender, next_nonce) VALUES (31337, $1, 5)", SENDER)
    async with pool.acquire() as conn:
        await storage.ensure_record(conn, batch_ids[0], urgent=True)
    before = _metric("anchor_chain_resyncs_total", reason="nonce_gap")
    started = time.monotonic()
    await anchorer.cycle()
    assert await pool.fetchval("SELECT nonce FROM anchor_aggregations") == 5

    await anchorer.cycle()
    assert _metric("anchor_chain_resyncs_total", reason="nonce_gap") == before + 1
    orphaned = await pool.fetchval("SELECT last_error FROM anchor_aggregations WHERE state = 'ORPHANED'")
    assert "nonce gap" in orphaned
    await run_until(anchorer, pool, batch_ids, "ANCHORED")
    print(f"\nnonce gap: ANCHORED {time.monotonic() - started:.1f} s after the stuck transaction was signed")
    rows = await pool.fetch("SELECT nonce, state FROM anchor_aggregations ORDER BY id")
    assert [(row["nonce"], row["state"]) for row in rows] == [(5, "ORPHANED"), (0, "ANCHORED")]


async def test_anchors_made_before_chains_were_recorded_are_checked_against_the_node(
    pool, anvil, make_anchorer, tmp_path: Path
) -> None:
    """The upgrade case: a database from before this check, and a node that was reset meanwhile."""
    anchorer = make_anchorer()
    batch_ids = await sealed_batches(pool, 1)
    async with pool.acquire() as conn:
        await storage.ensure_record(conn, batch_ids[0], urgent=True)
    await run_until(anchorer, pool, batch_ids, "ANCHORED")
    await pool.execute("UPDATE anchor_aggregations SET chain_ref = NULL")
    await pool.execute("DELETE FROM anchor_chains")

    anvil.stop()
    fresh = Anvil(tmp_path / "fresh-anvil.log", anvil.port)
    try:
        await anchorer.cycle()
        assert await pool.fetchval("SELECT state FROM anchor_aggregations ORDER BY id LIMIT 1") == "ORPHANED"
        await run_until(anchorer, pool, batch_ids, "ANCHORED")
        assert await pool.fetchval("SELECT count(*) FROM anchor_aggregations WHERE chain_ref IS NULL") == 1
    finally:
        fresh.stop()
