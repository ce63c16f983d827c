"""voketag/db.py and voketag/locks.py: the pool the services get, the helpers storage modules build on."""

import pytest

from scan_svc.settings import ScanSettings
from voketag.db import MissingRow, Where, create_pool, fetch_one
from voketag.locks import Lock, try_xact_lock, xact_lock
from voketag.migrations import migrate


async def test_pool_follows_the_settings_and_releases_without_open_transactions(fresh_database: str) -> None:
    # The pool skips asyncpg's RESET on release (voketag.db._keep_session): a transaction left open by one
    # caller must still be gone for the next one.
    settings = ScanSettings(database_url=fresh_database, db_pool_min=1, db_pool_max=2)
    pool = await create_pool(settings)
    try:
        assert (pool.get_min_size(), pool.get_max_size()) == (1, 2)
        async with pool.acquire() as conn:
            await migrate(conn)
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO factories (id, name) VALUES (gen_random_uuid(), 'left open')")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM factories") == 0
    finally:
        await pool.close()


async def test_fetch_one_returns_the_row_and_names_an_empty_result(fresh_database: str) -> None:
    pool = await create_pool(ScanSettings(database_url=fresh_database, db_pool_min=1, db_pool_max=1))
    try:
        row = await fetch_one(pool, "SELECT $1::int AS answer", 42)
        assert row["answer"] == 42
        with pytest.raises(MissingRow):
            await fetch_one(pool, "SELECT 1 WHERE false")
    finally:
        await pool.close()


async def test_where_numbers_its_parameters_and_drops_absent_filters(fresh_database: str) -> None:
    where = Where()
    where.add("a = {}", 1)
    where.add("b = {}", None)
    where.add("c = {}", "")
    where.add("(d, e) < ({}, {})", 5, 7)
    limit = where.arg(10)
    assert where.sql == "true AND a = $1 AND (d, e) < ($2, $3)"
    assert (where.args, limit) == ([1, 5, 7, 10], "$4")
    pool = await create_pool(ScanSettings(database_url=fresh_database, db_pool_min=1, db_pool_max=1))
    try:
        rows = await pool.fetch(
            f"""SELECT a FROM (VALUES (1, 5, 6), (1, 5, 7), (2, 1, 1)) v(a, d, e)
                WHERE {where.sql} LIMIT {limit}""",
            *where.args,
        )
        assert [row["a"] for row in rows] == [1]
    finally:
        await pool.close()


async def test_a_lock_is_held_until_its_transaction_ends(fresh_database: str) -> None:
    pool = await create_pool(ScanSettings(database_url=fresh_database, db_pool_min=2, db_pool_max=2))
    try:
        async with pool.acquire() as holder, pool.acquire() as other:
            async with holder.transaction():
                await xact_lock(holder, Lock.LEDGER_SEAL)
                async with other.transaction():
                    assert not await try_xact_lock(other, Lock.LEDGER_SEAL)
                    # Another key of the registry is independent of the held one.
                    assert await try_xact_lock(other, Lock.ANCHOR_CYCLE)
            async with other.transaction():
                assert await try_xact_lock(other, Lock.LEDGER_SEAL)
    finally:
        await pool.close()
