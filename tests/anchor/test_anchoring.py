"""Aggregation, submission and confirmation against a real anvil node, with the anchoring loop in-process."""

import asyncio
import itertools
import json
import os
import signal

import pytest

from anchor_svc import domain, storage
from anchor_svc.pump import WrongChain
from anchor_svc.sealing import seal
from anchor_svc.settings import ANVIL_DEV_KEY
from voketag import merkle

from .conftest import RING, make_batch, mining, rpc, run_until, sender_transactions, settings_for, states, wait_for


async def sealed_batches(pool, count: int, size: int = 5) -> list[str]:
    ids = []
    async with pool.acquire() as conn:
        for _ in range(count):
            batch_id = await make_batch(conn, size)
            await seal(conn, batch_id, RING, 2)
            ids.append(batch_id)
    return ids


async def test_many_batches_in_one_interval_are_anchored_by_one_transaction(pool, anvil, make_anchorer):
    anchorer = make_anchorer(anchor_interval_s=2)
    batch_ids = await sealed_batches(pool, 6)
    # Inside the interval nothing is sent; once the oldest root has waited it, all go in one transaction.
    assert await anchorer.aggregate() is None
    await asyncio.sleep(2)
    await run_until(anchorer, pool, batch_ids, "ANCHORED")

    aggregations = await pool.fetch("SELECT * FROM anchor_aggregations")
    assert len(aggregations) == 1
    aggregation = aggregations[0]
    mined = sender_transactions(anvil.url)
    assert [tx["hash"] for tx in mined] == [aggregation["tx_hash"]]
    assert bytes.fromhex(mined[0]["input"][2:]) == aggregation["root"]
    assert aggregation["confirmations"] >= 2 and aggregation["size"] == 6

    roots = domain.split_roots(bytes(aggregation["leaves"]))
    events = await pool.fetch("SELECT * FROM batch_events ORDER BY created_at")
    assert sorted(str(e["batch_id"]) for e in events) == sorted(batch_ids)
    for event in events:
        payload = json.loads(event["payload"])
        assert event["type"] == "batch.anchored"
        assert payload["tx_hash"] == aggregation["tx_hash"] and payload["block_number"] == aggregation["block_number"]
        record = await storage.record(pool, str(event["batch_id"]))
        index = record.aggregate_index
        assert roots[index] == bytes(record.batch_root)
        assert merkle.verify_inclusion(
            merkle.leaf_hash(roots[index]), index, 6, domain.aggregate_path(roots, index), aggregation["root"]
        )
    assert set((await pool.fetch("SELECT DISTINCT state FROM batches"))[0].values()) == {"ANCHORED"}


async def test_anchor_request_skips_the_interval(pool, make_anchorer):
    anchorer = make_anchorer()
    batch_ids = await sealed_batches(pool, 2)
    await anchorer.cycle()
    assert set((await states(pool, batch_ids)).values()) == {"PENDING"}
    async with pool.acquire() as conn:
        await storage.ensure_record(conn, batch_ids[0], urgent=True)
    await run_until(anchorer, pool, batch_ids, "ANCHORED")


async def test_twenty_concurrent_anchor_jobs_use_gap_free_nonces(pool, anvil, make_anchorer):
    anchorer = make_anchorer()
    async with pool.acquire() as conn:
        batch_ids = [await make_batch(conn, 3) for _ in range(20)]

    async def job(batch_id: str) -> None:
        async with pool.acquire() as conn:
            await seal(conn, batch_id, RING, 1)
        await anchorer.aggregate(force=True)

    await asyncio.gather(*(job(batch_id) for batch_id in batch_ids))
    await run_until(anchorer, pool, batch_ids, "ANCHORED", timeout_s=60)

    aggregations = await pool.fetch("SELECT nonce, tx_hash, size FROM anchor_aggregations ORDER BY nonce")
    assert [row["nonce"] for row in aggregations] == list(range(len(aggregations)))
    assert sum(row["size"] for row in aggregations) == 20
    mined = sender_transactions(anvil.url)
    assert sorted(int(tx["nonce"], 16) for tx in mined) == list(range(len(aggregations)))
    assert {tx["hash"] for tx in mined} == {row["tx_hash"] for row in aggregations}
    assert await pool.fetchval("SELECT count(DISTINCT aggregation_id) FROM anchor_records") == len(aggregations)


async def test_a_dropped_transaction_is_broadcast_again(pool, anvil, make_anchorer):
    anchorer = make_anchorer(anchor_rebroadcast_s=0.5)
    batch_ids = await sealed_batches(pool, 2)
    mining(anvil.url, False)
    await anchorer.aggregate(force=True)
    await anchorer.advance()
    tx_hash = await pool.fetchval("SELECT tx_hash FROM anchor_aggregations")
    assert rpc(anvil.url, "eth_getTransactionByHash", tx_hash) is not None
    rpc(anvil.url, "anvil_dropTransaction", tx_hash)
    assert rpc(anvil.url, "eth_getTransactionByHash", tx_hash) is None

    async def back_in_pool() -> bool:
        await anchorer.advance()
        return rpc(anvil.url, "eth_getTransactionByHash", tx_hash) is not None

    await wait_for(back_in_pool)
    mining(anvil.url, True)
    await run_until(anchorer, pool, batch_ids, "ANCHORED")
    assert [tx["hash"] for tx in sender_transactions(anvil.url)] == [tx_hash]


async def test_a_stuck_transaction_is_replaced_with_a_fee_bump_and_mined_once(pool, anvil, make_anchorer):
    anchorer = make_anchorer(anchor_rebroadcast_s=0.3, anchor_stuck_after_s=0.5, anchor_max_fee_bumps=2)
    batch_ids = await sealed_batches(pool, 1)
    mining(anvil.url, False)
    await anchorer.aggregate(force=True)

    async def bumped_twice() -> bool:
        await anchorer.advance()
        return await pool.fetchval("SELECT fee_bumps FROM anchor_aggregations") == 2

    await wait_for(bumped_twice)
    signed = await pool.fetch("SELECT tx_hash, max_fee_per_gas FROM anchor_transactions ORDER BY max_fee_per_gas")
    assert len(signed) == 3
    assert all(b["max_fee_per_gas"] * 100 >= a["max_fee_per_gas"] * 113 for a, b in itertools.pairwise(signed))
    # Bounded: no third bump however long it waits.
    for _ in range(3):
        await asyncio.sleep(0.6)
        await anchorer.advance()
    assert await pool.fetchval("SELECT count(*) FROM anchor_transactions") == 3
    mining(anvil.url, True)
    await run_until(anchorer, pool, batch_ids, "ANCHORED")
    mined = sender_transactions(anvil.url)
    assert len(mined) == 1 and mined[0]["hash"] == signed[-1]["tx_hash"]
    assert await pool.fetchval("SELECT tx_hash FROM anchor_aggregations") == signed[-1]["tx_hash"]


async def test_a_reorg_that_removes_the_transaction_leads_to_a_new_anchoring(pool, anvil, make_anchorer):
    anchorer = make_anchorer(anchor_confirmations=3)
    batch_ids = await sealed_batches(pool, 2)
    mining(anvil.url, False)
    snapshot = rpc(anvil.url, "evm_snapshot")
    await anchorer.aggregate(force=True)
    await anchorer.advance()
    rpc(anvil.url, "anvil_mine", "0x1")
    await anchorer.advance()
    first = await pool.fetchrow("SELECT state, block_number, block_hash FROM anchor_aggregations")
    assert first["state"] == "CONFIRMING"
    assert set((await states(pool, batch_ids)).values()) == {"CONFIRMING"}

    # The block with the transaction is replaced by two empty ones: the transaction is gone.
    rpc(anvil.url, "evm_revert", snapshot)
    rpc(anvil.url, "anvil_mine", "0x2")
    assert sender_transactions(anvil.url) == []
    await anchorer.advance()
    after = await pool.fetchrow("SELECT state, reorgs FROM anchor_aggregations")
    assert after["reorgs"] == 1
    assert set((await states(pool, batch_ids)).values()) <= {"SUBMITTED", "CONFIRMING"}
    mining(anvil.url, True)
    await run_until(anchorer, pool, batch_ids, "ANCHORED")
    final = await pool.fetchrow("SELECT tx_hash, block_number, block_hash FROM anchor_aggregations")
    assert final["block_hash"] != first["block_hash"] and final["block_number"] > first["block_number"]
    assert [tx["hash"] for tx in sender_transactions(anvil.url)] == [final["tx_hash"]]


async def test_anchoring_resumes_after_the_node_was_stopped(pool, anvil, make_anchorer):
    anchorer = make_anchorer(anchor_rpc_timeout_s=0.5)
    group = anvil.child.process.pid
    stop = asyncio.Event()
    loop = asyncio.create_task(anchorer.run(stop))
    try:
        batch_ids = await sealed_batches(pool, 2)
        async with pool.acquire() as conn:
            await storage.ensure_record(conn, batch_ids[0], urgent=True)
        os.killpg(group, signal.SIGSTOP)
        try:

            async def outage_visible() -> bool:
                records = await pool.fetch("SELECT state, last_error FROM anchor_records")
                return all("unreachable" in r["last_error"] for r in records)

            await wait_for(outage_visible)
            assert set((await states(pool, batch_ids)).values()) == {"PENDING"}
        finally:
            os.killpg(group, signal.SIGCONT)
        await wait_for(lambda: _all_in(pool, batch_ids, "ANCHORED"))

        # Down again after the broadcast, before the confirmations: it completes once the node is back.
        more = await sealed_batches(pool, 1)
        async with pool.acquire() as conn:
            await storage.ensure_record(conn, more[0], urgent=True)
        await wait_for(lambda: _all_in(pool, more, "SUBMITTED", "CONFIRMING"), every_s=0.05)
        os.killpg(group, signal.SIGSTOP)
        try:
            await asyncio.sleep(2)
            assert set((await states(pool, more)).values()) <= {"SUBMITTED", "CONFIRMING"}
        finally:
            os.killpg(group, signal.SIGCONT)
        await wait_for(lambda: _all_in(pool, more, "ANCHORED"))
    finally:
        stop.set()
        await loop
    assert len(sender_transactions(anvil.url)) == 2


async def _all_in(pool, batch_ids: list[str], *wanted: str) -> bool:
    found = await states(pool, batch_ids)
    return len(found) == len(batch_ids) and set(found.values()) <= set(wanted)


async def test_a_node_of_another_chain_is_refused(make_anchorer):
    with pytest.raises(WrongChain, match="31337"):
        await make_anchorer(anchor_chain_id=1).check_chain()
    await make_anchorer().check_chain()


def test_the_sender_key_never_appears_in_the_logged_settings(database):
    logged = json.dumps(settings_for(database, "http://127.0.0.1:1").model_dump(mode="json"))
    assert ANVIL_DEV_KEY[2:] not in logged and "**********" in logged
