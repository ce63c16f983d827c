"""Fixtures of the anchor tests: a fresh database with the schema, an own anvil node, batches made with SQL."""

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from anchor_svc.chain import Chain
from anchor_svc.pump import Anchorer
from anchor_svc.settings import ANVIL_DEV_KEY, AnchorSettings
from devmesh.mesh import Anvil, free_port
from voketag import migrations
from voketag.tokens import KeyRing

TOKEN_KEYS = {"1": base64.b64encode(b"anchor-tests-token-key-32-bytes!").decode()}
RING = KeyRing.from_config(TOKEN_KEYS, 1)
SENDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def settings_for(database_url: str, rpc_url: str, **overrides: object) -> AnchorSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "eth_rpc_url": rpc_url,
        "token_keys": TOKEN_KEYS,
        "anchor_confirmations": 2,
        "anchor_tick_s": 0.2,
        "anchor_interval_s": 3600,
        "anchor_rebroadcast_s": 1,
        "anchor_stuck_after_s": 3600,
        "anchor_rpc_timeout_s": 2,
        "anchor_backoff_base_s": 0.2,
        "anchor_backoff_max_s": 1,
        "grpc_port": 0,
        "metrics_port": 0,
        **overrides,
    }
    return AnchorSettings(**values)  # type: ignore[arg-type]


def rpc(url: str, method: str, *params: object) -> object:
    body = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    ).json()
    assert "error" not in body, body
    return body["result"]


def sender_transactions(url: str, sender: str = SENDER) -> list[dict]:
    """Every mined transaction of ``sender``, in chain order."""
    head = int(str(rpc(url, "eth_blockNumber")), 16)
    found = []
    for number in range(head + 1):
        block = rpc(url, "eth_getBlockByNumber", hex(number), True)
        found += [tx for tx in block["transactions"] if tx["from"].lower() == sender.lower()]
    return found


def mining(url: str, on: bool) -> None:
    rpc(url, "evm_setAutomine", on)
    rpc(url, "evm_setIntervalMining", 1 if on else 0)


@pytest.fixture
async def database(fresh_database: str) -> str:
    conn = await asyncpg.connect(fresh_database)
    try:
        await migrations.migrate(conn)
    finally:
        await conn.close()
    return fresh_database


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database, min_size=1, max_size=30) as created:
        yield created


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[Anvil]:
    node = Anvil(tmp_path / "anvil.log", free_port())
    yield node
    node.stop()


@pytest.fixture
async def chain(anvil: Anvil) -> AsyncIterator[Chain]:
    client = Chain(SecretStr(anvil.url), 2, SecretStr(ANVIL_DEV_KEY))
    yield client
    await client.close()


@pytest.fixture
def make_anchorer(pool: asyncpg.Pool, database: str, anvil: Anvil, chain: Chain) -> Callable[..., Anchorer]:
    def build(**overrides: object) -> Anchorer:
        return Anchorer(pool, chain, settings_for(database, anvil.url, **overrides))

    return build


async def make_batch(conn: asyncpg.Connection, size: int, sku: str = "SKU-1") -> str:
    """A factory, a batch of ``size`` products (serials from the shared counter), in one transaction."""
    factory_id, batch_id = uuid.uuid4(), uuid.uuid4()
    async with conn.transaction():
        first = await conn.fetchval(
            "UPDATE serial_counter SET next_serial = next_serial + $1 RETURNING next_serial - $1", size
        )
        await conn.execute("INSERT INTO factories (id, name) VALUES ($1, 'Test factory')", factory_id)
        await conn.execute(
            """INSERT INTO batches (id, factory_id, sku, product_line, quantity, key_id)
               VALUES ($1, $2, $3, 'Line', $4, 1)""",
            batch_id,
            factory_id,
            sku,
            size,
        )
        await conn.execute(
            """INSERT INTO products (id, batch_id, serial, leaf_index)
               SELECT gen_random_uuid(), $1, $2 + i, i FROM generate_series(0, $3 - 1) AS i""",
            batch_id,
            first,
            size,
        )
    return str(batch_id)


async def wait_for(check: Callable[[], Awaitable[bool]], timeout_s: float = 30, every_s: float = 0.2) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(every_s)


async def states(pool: asyncpg.Pool, batch_ids: list[str]) -> dict[str, str]:
    rows = await pool.fetch(
        "SELECT batch_id::text AS id, state FROM anchor_records WHERE batch_id = ANY($1::uuid[])", batch_ids
    )
    return {row["id"]: row["state"] for row in rows}


async def run_until(
    anchorer: Anchorer, pool: asyncpg.Pool, batch_ids: list[str], state: str, timeout_s: float = 30
) -> None:
    """Run anchoring cycles until every batch is in ``state``."""

    async def reached() -> bool:
        await anchorer.cycle()
        found = await states(pool, batch_ids)
        return len(found) == len(batch_ids) and set(found.values()) == {state}

    await wait_for(reached, timeout_s)
