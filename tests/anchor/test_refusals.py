"""Transactions the node refuses outright (never in its pool): FAILED after a bound, nonce reused, RetryAnchor.

Each test has its own anvil (the ``anvil`` fixture), whose anchoring account is drained with anvil_setBalance.
"""

import json

import asyncpg
import pytest

from anchor_svc import storage
from anchor_svc.chain import Chain, Fees, Rejected
from anchor_svc.pump import Anchorer
from anchor_svc.sealing import seal
from anchor_svc.service import Anchoring
from voketag.errors import FailedPrecondition
from voketag.mesh import Anvil

from .conftest import RING, SENDER, make_batch, rpc, run_until, sender_transactions, settings_for, states, wait_for


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ("Insufficient funds for gas * price + value", True),
        ("insufficient funds for gas * price + value: have 0 want 90000", True),
        ("intrinsic gas too low", True),
        ("intrinsic gas too high -- tx.gas_limit > env.block.gas_limit", True),
        ("exceeds block gas limit", True),
        ("invalid sender", True),
        ("nonce too low", False),
        ("replacement transaction underpriced", False),
        ("header not found", False),
        ("daily request count exceeded, request rate limited", False),
        ("internal error", False),
    ],
)
def test_only_refusals_of_the_transaction_itself_count(message: str, refused: bool) -> None:
    assert Rejected(message).refused is refused


async def sealed(pool: asyncpg.Pool, urgent: bool = True) -> str:
    async with pool.acquire() as conn:
        batch_id = await make_batch(conn, 4)
        await seal(conn, batch_id, RING, 1)
        if urgent:
            await storage.ensure_record(conn, batch_id, urgent=True)
    return batch_id


def mined_nonces(url: str) -> list[int]:
    return [int(tx["nonce"], 16) for tx in sender_transactions(url)]


def service_for(pool: asyncpg.Pool, chain: Chain, database: str, anvil: Anvil, enqueued: list[str]) -> Anchoring:
    """The use case behind RetryAnchor, as the admin RPC calls it."""
    return Anchoring(pool, chain, RING, settings_for(database, anvil.url), enqueued.append)


async def test_a_refused_transaction_fails_releases_its_nonce_and_is_anchored_after_retry(
    pool, database, anvil, chain, make_anchorer
):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=3)
    funds = rpc(anvil.url, "eth_getBalance", SENDER, "latest")
    rpc(anvil.url, "anvil_setBalance", SENDER, "0x0")
    failing = await sealed(pool)
    await run_until(anchorer, pool, [failing], "FAILED")

    record = await storage.record(pool, failing)
    assert "insufficient funds" in record["last_error"].lower()
    assert "3 times" in record["last_error"] and "nonce released" in record["last_error"]
    assert record["aggregation_id"] is None
    aggregation = await pool.fetchrow("SELECT state, nonce, refusals, last_error FROM anchor_aggregations")
    assert (aggregation["state"], aggregation["nonce"], aggregation["refusals"]) == ("FAILED", 0, 3)
    assert await pool.fetchval("SELECT state FROM batches WHERE id = $1", failing) == "FAILED"
    event = await pool.fetchrow("SELECT type, payload FROM batch_events WHERE batch_id = $1", failing)
    assert event["type"] == "batch.anchor_failed"
    assert "insufficient funds" in json.loads(event["payload"])["error"].lower()
    assert sender_transactions(anvil.url) == []

    # The operator tops the wallet up: the next batch gets the released nonce, so nothing waits on a gap.
    rpc(anvil.url, "anvil_setBalance", SENDER, funds)
    later = await sealed(pool)
    await run_until(anchorer, pool, [later], "ANCHORED")
    assert mined_nonces(anvil.url) == [0]
    assert (await storage.record(pool, later))["nonce"] == 0
    assert await states(pool, [failing]) == {failing: "FAILED"}

    enqueued: list[str] = []
    service = service_for(pool, chain, database, anvil, enqueued)
    with pytest.raises(FailedPrecondition):
        await service.retry(later)
    retried = await service.retry(failing)
    assert retried["state"] == "PENDING" and retried["attempts"] == 0 and retried["last_error"] == ""
    assert enqueued == []  # the tree is stored: only the aggregation is repeated
    await run_until(anchorer, pool, [failing], "ANCHORED")
    mined = sender_transactions(anvil.url)
    assert [int(tx["nonce"], 16) for tx in mined] == [0, 1]
    record = await storage.record(pool, failing)
    assert record["tx_hash"] == mined[1]["hash"] and record["last_error"] == ""
    assert await pool.fetchval("SELECT state FROM batches WHERE id = $1", failing) == "ANCHORED"
    assert await pool.fetchval("SELECT count(*) FROM anchor_released_nonces") == 0


async def test_a_transaction_queued_behind_a_released_nonce_is_mined_once_the_next_aggregation_fills_it(
    pool, database, anvil, chain, make_anchorer, monkeypatch
):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=2)
    # Enough for ordinary fees, not for a transaction signed at 1,000,000 gwei (30,000 gas: 30 ETH).
    rpc(anvil.url, "anvil_setBalance", SENDER, hex(10**16))
    normal = await chain.fees()

    async def expensive() -> Fees:
        return Fees(10**6 * 10**9, normal.priority_fee)

    monkeypatch.setattr(chain, "fees", expensive)
    refused = await sealed(pool)
    assert await anchorer.aggregate() is not None
    monkeypatch.undo()
    queued = await sealed(pool)
    assert await anchorer.aggregate() is not None
    nonces = await pool.fetch("SELECT nonce FROM anchor_aggregations ORDER BY id")
    assert [row["nonce"] for row in nonces] == [0, 1]

    async def refused_failed_and_next_accepted() -> bool:
        await anchorer.cycle()
        accepted = await pool.fetchval(
            "SELECT accepted FROM anchor_aggregations WHERE nonce = 1 AND state = 'SUBMITTED'"
        )
        return (await states(pool, [refused]))[refused] == "FAILED" and bool(accepted)

    await wait_for(refused_failed_and_next_accepted)
    assert "insufficient funds" in (await storage.record(pool, refused))["last_error"].lower()
    # Nonce 1 sits in the node's pool but cannot be mined while nonce 0 is missing.
    assert await states(pool, [queued]) == {queued: "SUBMITTED"}
    assert rpc(anvil.url, "eth_getTransactionCount", SENDER, "latest") == "0x0"

    # A batch nobody asked for urgently (interval 3600 s) is aggregated at once: it fills the gap.
    filler = await sealed(pool, urgent=False)
    await run_until(anchorer, pool, [filler, queued], "ANCHORED")
    assert (await storage.record(pool, filler))["nonce"] == 0
    assert (await storage.record(pool, queued))["nonce"] == 1
    assert mined_nonces(anvil.url) == [0, 1]

    await service_for(pool, chain, database, anvil, []).retry(refused)
    await run_until(anchorer, pool, [refused], "ANCHORED")
    assert mined_nonces(anvil.url) == [0, 1, 2]
    assert (await storage.record(pool, refused))["nonce"] == 2
