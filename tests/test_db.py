"""The shared pool: releasing a connection never leaks a transaction into the next caller."""

import asyncpg

from scan_svc.settings import ScanSettings
from voketag.db import create_pool
from voketag.migrations import migrate


async def test_released_connection_has_no_open_transaction(fresh_database: str) -> None:
    settings = ScanSettings(database_url=fresh_database, db_pool_min=1, db_pool_max=1)
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO factories (id, name) VALUES (gen_random_uuid(), 'left open')")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM factories") == 0
    finally:
        await pool.close()


async def test_transaction_locks_end_with_the_transaction(fresh_database: str) -> None:
    settings = ScanSettings(database_url=fresh_database, db_pool_min=1, db_pool_max=1)
    pool = await create_pool(settings)
    other = await asyncpg.connect(fresh_database)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(42)")
        assert await other.fetchval("SELECT pg_try_advisory_lock(42)")
    finally:
        await other.close()
        await pool.close()
