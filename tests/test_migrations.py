import asyncio
import sys
from pathlib import Path

import asyncpg
import pytest

from voketag.migrations import available, migrate_url

MIGRATE = Path(sys.executable).parent / "voketag-migrate"


async def applied(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await conn.close()


async def test_second_run_applies_nothing(fresh_database: str) -> None:
    versions = [m.version for m in available()]
    assert await migrate_url(fresh_database) == versions
    assert await migrate_url(fresh_database) == []
    assert await applied(fresh_database) == versions


async def test_concurrent_processes_apply_each_migration_once(fresh_database: str) -> None:
    procs = [
        await asyncio.create_subprocess_exec(
            str(MIGRATE),
            "--database-url",
            fresh_database,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(4)
    ]
    results = [await proc.communicate() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0], results
    outputs = sorted(out.decode().strip() for out, _ in results)
    assert outputs.count("database is up to date") == 3
    assert await applied(fresh_database) == [m.version for m in available()]


async def test_edited_migration_is_refused(fresh_database: str) -> None:
    await migrate_url(fresh_database)
    conn = await asyncpg.connect(fresh_database)
    try:
        await conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    finally:
        await conn.close()
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        await migrate_url(fresh_database)


async def test_scan_rollup_trigger_runs_the_statements_of_its_sql_function(fresh_database: str) -> None:
    """4003 froze admin_scan_rollup_sql into a static trigger body: a later change to one must repeat it."""
    await migrate_url(fresh_database)
    conn = await asyncpg.connect(fresh_database)
    try:
        body = await conn.fetchval("SELECT prosrc FROM pg_proc WHERE proname = 'admin_scan_rollup'")
        expected = await conn.fetchval("SELECT 'BEGIN ' || admin_scan_rollup_sql('new_scans') || ' RETURN NULL; END'")
    finally:
        await conn.close()
    assert "EXECUTE" not in body and "new_scans" in body
    assert body == expected
