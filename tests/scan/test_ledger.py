"""The scan ledger: honest ledgers verify; UPDATE, DELETE and reordering in SQL are named; checkpoints and
consistency proofs (RFC 6962) check out."""

import asyncio
import base64
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scan_svc.ledger import Checkpoint, Ledger, build, link, scan_leaf
from scan_svc.model import LedgerScan
from scan_svc.settings import ScanSettings
from tests.scan.conftest import Catalog
from voketag import merkle, migrations
from voketag.auth import Role, TokenSigner
from voketag.tokens import KeyRing

SCANS = 12


@pytest.fixture
async def ledger_db(fresh_database: str) -> AsyncIterator[tuple[asyncpg.Pool, Ledger, ScanSettings]]:
    """A database of its own with SCANS scans, and a Ledger over it (as the scan service builds it)."""
    settings = ScanSettings(
        database_url=fresh_database,
        token_keys={"1": base64.b64encode(os.urandom(32)).decode()},
        grpc_port=0,
        metrics_port=0,
    )
    async with asyncpg.create_pool(fresh_database, min_size=1, max_size=3) as pool:
        async with pool.acquire() as conn:
            await migrations.migrate(conn)
        catalog = Catalog(
            pool, KeyRing.from_config({k: v.get_secret_value() for k, v in settings.token_keys.items()}, 1)
        )
        product = await catalog.product()
        await pool.execute(
            """INSERT INTO scans (product_id, batch_id, factory_id, verdict, risk_score, device_hash, country)
               SELECT $1, $2, b.factory_id, 'AUTHENTIC', i, 'dev' || i, 'DE'
               FROM batches b, generate_series(1, $3) AS i WHERE b.id = $2""",
            product["product_id"],
            product["batch_id"],
            SCANS,
        )
        yield pool, build(pool, settings), settings


async def test_honest_ledger_verifies_with_signed_checkpoint(ledger_db) -> None:
    pool, ledger, _ = ledger_db
    finding, checkpoint = await ledger.verify()
    assert finding.ok and finding.entries_checked == SCANS
    assert checkpoint is not None and checkpoint.tree_size == SCANS
    assert checkpoint.verify(ledger.public_key)
    leaves = [row["leaf_hash"] for row in await pool.fetch("SELECT leaf_hash FROM scan_ledger ORDER BY seq")]
    assert checkpoint.root_hash == merkle.root(leaves)
    forged = Checkpoint(
        SCANS + 1, checkpoint.root_hash, checkpoint.head_hash, checkpoint.created_at, checkpoint.signature, "x"
    )
    assert not forged.verify(ledger.public_key)


async def test_update_is_named(ledger_db) -> None:
    pool, ledger, _ = ledger_db
    assert (await ledger.verify())[0].ok
    await pool.execute("UPDATE scans SET verdict = 'SUSPICIOUS' WHERE ledger_seq = 5")
    finding, _ = await ledger.verify()
    assert (finding.ok, finding.first_bad_sequence) == (False, 5)
    assert "edited" in finding.problem


async def test_delete_is_named(ledger_db) -> None:
    pool, ledger, _ = ledger_db
    assert (await ledger.verify())[0].ok
    await pool.execute("DELETE FROM scans WHERE ledger_seq = 7")
    finding, _ = await ledger.verify()
    assert (finding.ok, finding.first_bad_sequence) == (False, 7)
    assert "deleted" in finding.problem


async def test_deleting_a_ledger_entry_is_named(ledger_db) -> None:
    pool, ledger, _ = ledger_db
    assert (await ledger.verify())[0].ok
    await pool.execute("DELETE FROM scan_ledger WHERE seq = 4")
    finding, _ = await ledger.verify()
    assert (finding.ok, finding.first_bad_sequence) == (False, 4)
    assert "missing" in finding.problem


async def test_reordering_is_named(ledger_db) -> None:
    pool, ledger, _ = ledger_db
    assert (await ledger.verify())[0].ok
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE scans SET ledger_seq = -1 WHERE ledger_seq = 3")
        await conn.execute("UPDATE scans SET ledger_seq = 3 WHERE ledger_seq = 9")
        await conn.execute("UPDATE scans SET ledger_seq = 9 WHERE ledger_seq = -1")
    finding, _ = await ledger.verify()
    assert (finding.ok, finding.first_bad_sequence) == (False, 3)


async def test_rewritten_hashes_are_caught_by_the_signed_checkpoint(ledger_db) -> None:
    pool, ledger, _ = ledger_db
    assert (await ledger.verify())[0].ok
    # An attacker edits a scan and recomputes every leaf and chain hash after it, and the stored Merkle nodes:
    # only the checkpoint catches it.
    await pool.execute("UPDATE scans SET risk_score = 99 WHERE ledger_seq = 6")
    rows = await pool.fetch("SELECT s.*, l.void FROM scan_ledger l JOIN scans s ON s.ledger_seq = l.seq ORDER BY l.seq")
    chain, frontier = b"", list[bytes]()
    for size, row in enumerate(rows):
        leaf = scan_leaf(LedgerScan.from_row(row))
        chain = link(chain, leaf)
        await pool.execute(
            "UPDATE scan_ledger SET leaf_hash = $1, chain_hash = $2 WHERE seq = $3", leaf, chain, row["ledger_seq"]
        )
        frontier, completed = merkle.append_nodes(frontier, size, leaf)
        for level, index, hash_ in completed:
            await pool.execute(
                "UPDATE scan_ledger_nodes SET hash = $1 WHERE level = $2 AND idx = $3", hash_, level, index
            )
    finding, _ = await ledger.verify()
    assert not finding.ok
    assert finding.problem == "checkpoint root does not match the entries"


async def test_a_rolled_back_sequence_number_is_sealed_as_void(ledger_db) -> None:
    pool, _, settings = ledger_db
    ledger = build(pool, settings.model_copy(update={"ledger_gap_grace_s": 0.01}))
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "INSERT INTO scans (product_id, batch_id, factory_id, verdict, risk_score, device_hash) "
            "SELECT product_id, batch_id, factory_id, verdict, risk_score, device_hash FROM scans LIMIT 1"
        )
        await tx.rollback()
    await pool.execute(
        "INSERT INTO scans (product_id, batch_id, factory_id, verdict, risk_score, device_hash) "
        "SELECT product_id, batch_id, factory_id, verdict, risk_score, device_hash FROM scans LIMIT 1"
    )
    await asyncio.sleep(0.05)
    finding, checkpoint = await ledger.verify()
    assert finding.ok and checkpoint.tree_size == SCANS + 2
    assert await pool.fetchval("SELECT void FROM scan_ledger WHERE seq = $1", SCANS + 1)


async def test_console_command_names_the_bad_entry(ledger_db) -> None:
    pool, ledger, settings = ledger_db
    assert (await ledger.verify())[0].ok
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "TOKEN_KEYS": json.dumps({"1": settings.token_keys["1"].get_secret_value()}),
    }
    command = [sys.executable, "-m", "scan_svc.ledger"]
    honest = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True, timeout=60)
    assert honest.returncode == 0, honest.stderr
    await pool.execute("UPDATE scans SET country = 'FR' WHERE ledger_seq = 2")
    broken = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1
    assert '"first_bad_sequence": 2' in broken.stdout


@given(st.integers(min_value=1, max_value=40), st.data())
def test_consistency_proofs_verify_and_frontier_matches_root(second: int, data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(second)]
    first = data.draw(st.integers(min_value=1, max_value=second))
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier, _ = merkle.append_nodes(frontier, size, leaf)
    assert merkle.frontier_root(frontier) == merkle.root(leaves)
    proof = merkle.consistency_proof(first, leaves)
    old, new = merkle.root(leaves[:first]), merkle.root(leaves)
    assert merkle.verify_consistency(first, second, old, new, proof)
    assert not merkle.verify_consistency(first, second, merkle.leaf_hash(b"other"), new, proof)


async def test_verify_ledger_rpc_through_envoy(
    client: httpx.AsyncClient, catalog: Catalog, signer: TokenSigner
) -> None:
    product = await catalog.product()
    sequences = []
    for _ in range(3):
        reply = await client.post(f"/api/verify/{product['token']}", json={})
        sequences.append(int(reply.json()["ledgerSequence"]))
    auditor = {"authorization": f"Bearer {signer.mint('auditor-1', Role.AUDITOR)}"}
    params = {"fromSequence": min(sequences), "toSequence": max(sequences)}
    reply = await client.get("/v1/ledger:verify", params=params, headers=auditor)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["ok"] is True and int(body["entriesChecked"]) == max(sequences) - min(sequences) + 1, body
    assert body["uncheckedScans"] == "0"  # the RPC seals first: every scan of the range is checked
    assert int(body["checkpoint"]["treeSize"]) >= max(sequences)
    assert (await client.get("/v1/ledger:verify")).status_code == 401
    operator = signer.mint("op", Role.OPERATOR, factory_id="f")
    assert (await client.get("/v1/ledger:verify", headers={"authorization": f"Bearer {operator}"})).status_code == 403
    checkpoint = (await client.get("/v1/ledger/checkpoint")).json()["checkpoint"]
    size = int(checkpoint["treeSize"])
    proof = (await client.get("/v1/ledger/consistency", params={"firstTreeSize": 1, "secondTreeSize": size})).json()
    assert merkle.verify_consistency(
        1,
        size,
        base64.b64decode(proof["firstRootHash"]),
        base64.b64decode(checkpoint["rootHash"]),
        [base64.b64decode(p) for p in proof["proof"]],
    )
