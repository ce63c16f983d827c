"""Transactions the node refuses outright (never in its pool): FAILED after a bound, nonce reused, RetryAnchor;
and the guards that keep a nonce the node may hold (accepted once, a send without a clear answer, a later
transaction of ours waiting for it, an earlier one still unmined) from ever being given up.

Each test has its own anvil (the ``anvil`` fixture), whose anchoring account is drained with anvil_setBalance;
"the node dropped it" is anvil_dropTransaction (a peer's mempool may still hold it).
"""

import json
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from anchor_svc import storage
from anchor_svc.chain import Chain, ChainUnavailable, Fees, Rejected
from anchor_svc.model import Flight
from anchor_svc.pump import Anchorer
from anchor_svc.sealing import seal
from anchor_svc.usecases import Anchoring
from devmesh.mesh import Anvil
from voketag.errors import FailedPrecondition

from .conftest import (
    RING,
    SENDER,
    make_batch,
    mining,
    rpc,
    run_until,
    sender_transactions,
    settings_for,
    states,
    wait_for,
)


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
    assert "insufficient funds" in record.last_error.lower()
    assert "3 times" in record.last_error and "nonce released" in record.last_error
    assert record.aggregation_id is None
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
    assert (await storage.record(pool, later)).nonce == 0
    assert await states(pool, [failing]) == {failing: "FAILED"}

    enqueued: list[str] = []
    service = service_for(pool, chain, database, anvil, enqueued)
    with pytest.raises(FailedPrecondition):
        await service.retry(later)
    retried = await service.retry(failing)
    assert retried.state == "PENDING" and retried.attempts == 0 and retried.last_error == ""
    assert enqueued == []  # the tree is stored: only the aggregation is repeated
    await run_until(anchorer, pool, [failing], "ANCHORED")
    mined = sender_transactions(anvil.url)
    assert [int(tx["nonce"], 16) for tx in mined] == [0, 1]
    record = await storage.record(pool, failing)
    assert record.tx_hash == mined[1]["hash"] and record.last_error == ""
    assert await pool.fetchval("SELECT state FROM batches WHERE id = $1", failing) == "ANCHORED"
    assert await pool.fetchval("SELECT count(*) FROM anchor_released_nonces") == 0


async def aggregation_at(pool: asyncpg.Pool, nonce: int) -> asyncpg.Record:
    return await pool.fetchrow(
        """SELECT id, state, accepted, sending, refusals, attempts, tx_hash, broadcast_at, last_error,
                  next_attempt_at > now() AS backing_off
           FROM anchor_aggregations WHERE nonce = $1 AND state <> 'FAILED'""",
        nonce,
    )


async def released(pool: asyncpg.Pool) -> list[int]:
    return [row["nonce"] for row in await pool.fetch("SELECT nonce FROM anchor_released_nonces ORDER BY nonce")]


def node_has(url: str, tx_hash: str) -> bool:
    return rpc(url, "eth_getTransactionByHash", tx_hash) is not None


def refuse_from_now_on(url: str, tx_hash: str) -> None:
    """This node forgets the transaction (a peer may still hold it) and refuses it when it comes again."""
    rpc(url, "anvil_dropTransaction", tx_hash)
    rpc(url, "anvil_setBalance", SENDER, "0x0")
    assert not node_has(url, tx_hash)


async def refused_at_least(anchorer: Anchorer, pool: asyncpg.Pool, nonce: int, count: int) -> None:
    """Run cycles until the aggregation at ``nonce`` has had ``count`` refusals counted."""

    async def enough() -> bool:
        await anchorer.cycle()
        row = await aggregation_at(pool, nonce)
        return row is not None and row["refusals"] >= count

    await wait_for(enough)


async def priced_out(pool: asyncpg.Pool, anchorer: Anchorer, chain: Chain, monkeypatch: pytest.MonkeyPatch) -> str:
    """A batch aggregated into a transaction signed at 1,000,000 gwei (30,000 gas: 30 ETH), which the node
    refuses for insufficient funds while the balance is 0.01 ETH; later transactions get ordinary fees."""
    normal = await chain.fees()

    async def expensive() -> Fees:
        return Fees(10**6 * 10**9, normal.priority_fee)

    with monkeypatch.context() as patch:
        patch.setattr(chain, "fees", expensive)
        batch_id = await sealed(pool)
        assert await anchorer.aggregate() is not None
    return batch_id


async def test_a_refused_transaction_keeps_retrying_while_a_later_accepted_one_waits_for_its_nonce(
    pool, anvil, chain, make_anchorer, monkeypatch
):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=2)
    rpc(anvil.url, "anvil_setBalance", SENDER, hex(10**16))
    refused = await priced_out(pool, anchorer, chain, monkeypatch)
    queued = await sealed(pool)
    assert await anchorer.aggregate() is not None

    # Nonce 1 sits in the node's pool behind nonce 0; nonce 0 is refused again and again, far past the bound.
    await refused_at_least(anchorer, pool, 0, 4)
    later = await aggregation_at(pool, 1)
    assert later["accepted"] and later["state"] == "SUBMITTED" and node_has(anvil.url, later["tx_hash"])
    first = await aggregation_at(pool, 0)
    assert first["state"] == "SUBMITTED" and not first["accepted"]
    assert "insufficient funds" in first["last_error"].lower() and "waits for this nonce" in first["last_error"]
    assert await released(pool) == []
    assert await states(pool, [refused, queued]) == {refused: "SUBMITTED", queued: "SUBMITTED"}
    assert rpc(anvil.url, "eth_getTransactionCount", SENDER, "latest") == "0x0"

    # Only filling nonce 0 lets nonce 1 be mined: once the balance suffices, both are, in order.
    rpc(anvil.url, "anvil_setBalance", SENDER, hex(100 * 10**18))
    await run_until(anchorer, pool, [refused, queued], "ANCHORED")
    mined = sender_transactions(anvil.url)
    assert [int(tx["nonce"], 16) for tx in mined] == [0, 1]
    assert [tx["hash"] for tx in mined] == [first["tx_hash"], later["tx_hash"]]


async def test_a_transaction_the_node_accepted_once_is_never_failed_by_later_refusals(pool, anvil, make_anchorer):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=1, anchor_rebroadcast_s=0.2)
    funds = rpc(anvil.url, "eth_getBalance", SENDER, "latest")
    mining(anvil.url, False)
    batch_id = await sealed(pool)

    async def accepted() -> bool:
        await anchorer.cycle()
        row = await aggregation_at(pool, 0)
        return row is not None and row["accepted"]

    await wait_for(accepted)
    sent = await aggregation_at(pool, 0)
    assert sent["broadcast_at"] is not None and node_has(anvil.url, sent["tx_hash"])

    refuse_from_now_on(anvil.url, sent["tx_hash"])
    await refused_at_least(anchorer, pool, 0, 3)
    row = await aggregation_at(pool, 0)
    assert row["state"] == "SUBMITTED" and "insufficient funds" in row["last_error"].lower()
    assert await released(pool) == []
    assert await states(pool, [batch_id]) == {batch_id: "SUBMITTED"}

    rpc(anvil.url, "anvil_setBalance", SENDER, funds)
    mining(anvil.url, True)
    await run_until(anchorer, pool, [batch_id], "ANCHORED")
    assert [tx["hash"] for tx in sender_transactions(anvil.url)] == [sent["tx_hash"]]


async def test_a_send_that_timed_out_after_the_node_took_it_is_never_failed_by_later_refusals(
    pool, anvil, chain, make_anchorer, monkeypatch
):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=1)
    funds = rpc(anvil.url, "eth_getBalance", SENDER, "latest")
    mining(anvil.url, False)
    client = chain._rpc
    forward: Callable[..., Coroutine[Any, Any, Any]] = client.call
    timeouts: list[str] = []

    async def answer_lost(method: str, params: Any, headers: Any) -> Any:
        """At the JSON-RPC client's boundary: the node gets the transaction, its answer never arrives."""
        response = await forward(method, params, headers)
        if method == "eth_sendRawTransaction" and not timeouts:
            timeouts.append(params[0])
            raise TimeoutError
        return response

    monkeypatch.setattr(client, "call", answer_lost)
    batch_id = await sealed(pool)
    await anchorer.cycle()
    assert len(timeouts) == 1
    row = await aggregation_at(pool, 0)
    assert node_has(anvil.url, row["tx_hash"])
    assert "unreachable" in row["last_error"] and row["broadcast_at"] is None
    assert row["accepted"] and not row["sending"] and row["refusals"] == 0

    refuse_from_now_on(anvil.url, row["tx_hash"])
    await refused_at_least(anchorer, pool, 0, 3)
    assert (await aggregation_at(pool, 0))["state"] == "SUBMITTED"
    assert await released(pool) == []
    assert await states(pool, [batch_id]) == {batch_id: "SUBMITTED"}

    rpc(anvil.url, "anvil_setBalance", SENDER, funds)
    mining(anvil.url, True)
    await run_until(anchorer, pool, [batch_id], "ANCHORED")
    assert [tx["hash"] for tx in sender_transactions(anvil.url)] == [row["tx_hash"]]


async def test_a_send_whose_answer_was_never_recorded_counts_as_accepted_at_the_next_cycle(
    pool, anvil, make_anchorer, monkeypatch
):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=1)
    mining(anvil.url, False)

    async def lost(conn: asyncpg.Connection, aggregation_id: int) -> None:
        raise ConnectionResetError("the process died before the answer was committed")

    batch_id = await sealed(pool)
    with monkeypatch.context() as patch:
        patch.setattr(storage, "mark_broadcast", lost)
        with pytest.raises(ConnectionResetError):
            await anchorer.cycle()
    row = await aggregation_at(pool, 0)
    # The node took it; the database only knows that a send had started.
    assert node_has(anvil.url, row["tx_hash"])
    assert row["sending"] and not row["accepted"] and row["attempts"] == 0

    # Were "sending" ignored, this refusal (the first, = ANCHOR_MAX_REFUSALS) would fail it and free nonce 0.
    refuse_from_now_on(anvil.url, row["tx_hash"])
    await anchorer.cycle()
    row = await aggregation_at(pool, 0)
    assert row["accepted"] and not row["sending"]
    assert row["state"] == "SUBMITTED" and row["refusals"] == 1
    await refused_at_least(anchorer, pool, 0, 3)
    assert (await aggregation_at(pool, 0))["state"] == "SUBMITTED"
    assert await released(pool) == []
    assert await states(pool, [batch_id]) == {batch_id: "SUBMITTED"}


async def test_the_safety_check_asks_the_node_about_the_nonce_and_every_signed_version(
    pool, anvil, chain, make_anchorer
):
    anchorer: Anchorer = make_anchorer()
    mining(anvil.url, False)
    signed = chain.sign(31337, 0, bytes(32), await chain.fees())
    never_sent = chain.sign(31337, 0, bytes(31) + b"\x01", await chain.fees())
    now = datetime.now(UTC)
    fresh = Flight(
        id=1,
        nonce=0,
        root=bytes(32),
        state="SUBMITTED",
        tx_hash=signed.tx_hash,
        block_hash=None,
        fee_bumps=0,
        attempts=0,
        accepted=False,
        refusals=0,
        broadcast_at=None,
        signed_at=now,
        next_attempt_at=now,
        now=now,
    )

    assert await anchorer._never_reached_the_chain(fresh, [signed.tx_hash, never_sent.tx_hash])
    assert not await anchorer._never_reached_the_chain(replace(fresh, accepted=True), [signed.tx_hash])
    # A version the node holds (sent by some earlier run) keeps the nonce, whichever version was refused.
    rpc(anvil.url, "eth_sendRawTransaction", "0x" + signed.raw.hex())
    assert not await anchorer._never_reached_the_chain(fresh, [never_sent.tx_hash, signed.tx_hash])
    assert await anchorer._never_reached_the_chain(fresh, [never_sent.tx_hash])
    # Once the chain counted nonce 0, it is gone, even with none of the hashes given.
    mining(anvil.url, True)
    await wait_for(lambda: _counted(anvil.url, 1))
    assert not await anchorer._never_reached_the_chain(fresh, [])
    assert await anchorer._never_reached_the_chain(replace(fresh, nonce=1), [])


async def _counted(url: str, count: int) -> bool:
    return int(str(rpc(url, "eth_getTransactionCount", SENDER, "latest")), 16) >= count


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("confirmed_nonce", ChainUnavailable("chain node unreachable (TimeoutError)")),
        ("transaction", Rejected("header not found")),
    ],
)
async def test_a_safety_check_the_node_cannot_answer_backs_off_and_the_other_transactions_go_on(
    pool, anvil, chain, make_anchorer, monkeypatch, method, error
):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=1)
    rpc(anvil.url, "anvil_setBalance", SENDER, hex(10**16))
    refused = await priced_out(pool, anchorer, chain, monkeypatch)
    later = await sealed(pool)
    assert await anchorer.aggregate() is not None

    async def fails(*args: object) -> object:
        raise error

    monkeypatch.setattr(chain, method, fails)
    assert await anchorer.cycle()
    first = await aggregation_at(pool, 0)
    assert first["state"] == "SUBMITTED" and first["refusals"] == 1 and first["attempts"] == 1
    assert first["backing_off"] and "safety check failed" in first["last_error"]
    assert await released(pool) == []
    # The loop went on to the next aggregation.
    assert (await aggregation_at(pool, 1))["accepted"]
    assert await states(pool, [refused, later]) == {refused: "SUBMITTED", later: "SUBMITTED"}


async def test_a_refusal_behind_an_unmined_transaction_of_ours_is_not_counted(
    pool, anvil, chain, make_anchorer, monkeypatch
):
    anchorer: Anchorer = make_anchorer(anchor_max_refusals=1)
    rpc(anvil.url, "anvil_setBalance", SENDER, hex(10**16))
    mining(anvil.url, False)
    earlier = await sealed(pool)
    assert await anchorer.aggregate() is not None
    refused = await priced_out(pool, anchorer, chain, monkeypatch)

    async def refused_a_few_times() -> bool:
        await anchorer.cycle()
        row = await aggregation_at(pool, 1)
        return row["attempts"] >= 3

    await wait_for(refused_a_few_times)
    assert (await aggregation_at(pool, 0))["accepted"]
    row = await aggregation_at(pool, 1)
    assert row["state"] == "SUBMITTED" and row["refusals"] == 0
    assert "insufficient funds" in row["last_error"].lower() and "earlier transaction" in row["last_error"]

    # Once nonce 0 is mined, the refusals of nonce 1 count, and with nothing of ours above it, it fails.
    mining(anvil.url, True)
    await run_until(anchorer, pool, [refused], "FAILED")
    assert await states(pool, [earlier]) in ({earlier: "CONFIRMING"}, {earlier: "ANCHORED"})
    assert await released(pool) == [1]
    assert mined_nonces(anvil.url) == [0]
