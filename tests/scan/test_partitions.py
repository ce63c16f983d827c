"""Scans partitioned by month: the migration converts a table with rows, partitions exist ahead of time, and
retention drops only partitions that are rolled up and sealed, after which the ledger still verifies."""

import base64
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from scan_svc.ledger import Ledger, build
from scan_svc.partitions import Partitions, months_before
from scan_svc.settings import ScanSettings
from scan_svc.storage import LedgerStore
from scan_svc.tlog import Transparency
from tests.scan.conftest import Catalog
from voketag import merkle, migrations
from voketag.locks import Lock, xact_lock
from voketag.tokens import KeyRing

PARTITIONING = 1030


def settings_for(database_url: str) -> ScanSettings:
    return ScanSettings(
        database_url=database_url,
        token_keys={"1": base64.b64encode(os.urandom(32)).decode()},
        grpc_port=0,
        metrics_port=0,
    )


@contextlib.asynccontextmanager
async def scan_database(database_url: str) -> AsyncIterator[tuple[asyncpg.Pool, ScanSettings, Catalog]]:
    """A migrated database of its own, the scan settings for it and a catalog signing with their token key."""
    settings = settings_for(database_url)
    async with asyncpg.create_pool(database_url, min_size=1, max_size=3) as pool:
        async with pool.acquire() as conn:
            await migrations.migrate(conn)
        keys = {k: v.get_secret_value() for k, v in settings.token_keys.items()}
        yield pool, settings, Catalog(pool, KeyRing.from_config(keys, 1))


def month_name(moment: datetime) -> str:
    return f"scans_p{moment:%Y_%m}"


async def partition_names(conn: asyncpg.Connection | asyncpg.Pool) -> set[str]:
    rows = await conn.fetch(
        "SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'scans'::regclass"
    )
    return {row["name"] for row in rows}


async def add_scans(pool: asyncpg.Pool, product: dict[str, object], at: datetime, count: int) -> None:
    await pool.execute(
        """INSERT INTO scans (product_id, batch_id, factory_id, scanned_at, verdict, risk_score, device_hash, country)
           SELECT $1, $2, b.factory_id, $3::timestamptz + i * interval '1 minute', 'AUTHENTIC', i, 'dev' || i, 'DE'
           FROM batches b, generate_series(1, $4) AS i WHERE b.id = $2""",
        product["product_id"],
        product["batch_id"],
        at,
        count,
    )


async def rolled_up(pool: asyncpg.Pool) -> int:
    total = await pool.fetchval("SELECT coalesce(sum(authentic + suspicious + invalid + revoked), 0) FROM scan_daily")
    return int(total)


@pytest.fixture
async def scan_db(fresh_database: str) -> AsyncIterator[tuple[asyncpg.Pool, Ledger, Catalog]]:
    async with scan_database(fresh_database) as (pool, settings, catalog):
        yield pool, build(pool, settings), catalog


async def test_fresh_database_has_months_ahead_and_maintenance_adds_more(scan_db) -> None:
    pool, _, _ = scan_db
    now = datetime.now(UTC)
    assert await pool.fetchval("SELECT relkind::text FROM pg_class WHERE relname = 'scans'") == "p"
    expected = {month_name(months_before(now, -ahead)) for ahead in range(4)}
    assert await partition_names(pool) == expected

    partitions = Partitions(pool, ahead_months=6, retention_months=0)
    first = await partitions.maintain()
    assert first.created == 3 and not first.dropped
    assert await partition_names(pool) == expected | {month_name(months_before(now, -ahead)) for ahead in (4, 5, 6)}
    assert (await partitions.maintain()).created == 0


async def test_maintenance_waits_for_the_replica_holding_the_lock(scan_db) -> None:
    pool, _, _ = scan_db
    partitions = Partitions(pool, ahead_months=6, retention_months=0)
    async with pool.acquire() as conn, conn.transaction():
        await xact_lock(conn, Lock.SCAN_PARTITIONS)
        skipped = await partitions.maintain()
    assert not skipped.locked and skipped.created == 0
    assert (await partitions.maintain()).created == 3


async def test_upgrade_moves_existing_scans_into_partitions(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database migrated before 1030 with scans in several months keeps every row, id and rollup count."""
    settings = settings_for(fresh_database)
    everything = migrations.available
    monkeypatch.setattr(migrations, "available", lambda: [m for m in everything() if m.version != PARTITIONING])
    async with asyncpg.create_pool(fresh_database, min_size=1, max_size=3) as pool:
        async with pool.acquire() as conn:
            await migrations.migrate(conn)
        assert await pool.fetchval("SELECT relkind::text FROM pg_class WHERE relname = 'scans'") == "r"
        keys = {k: v.get_secret_value() for k, v in settings.token_keys.items()}
        product = await Catalog(pool, KeyRing.from_config(keys, 1)).product()
        now = datetime.now(UTC)
        for months in (7, 2, 0):
            await add_scans(pool, product, months_before(now, months) + timedelta(days=3), 4)
        ledger = build(pool, settings)
        assert await ledger.seal(force_checkpoint=True) == 12
        before = await pool.fetch("SELECT * FROM scans ORDER BY id")
        counted = await rolled_up(pool)

        monkeypatch.setattr(migrations, "available", everything)
        async with pool.acquire() as conn:
            assert await migrations.migrate(conn) == [PARTITIONING]

        assert await pool.fetchval("SELECT relkind::text FROM pg_class WHERE relname = 'scans'") == "p"
        assert [dict(row) for row in await pool.fetch("SELECT * FROM scans ORDER BY id")] == [dict(r) for r in before]
        homes = await pool.fetch("SELECT DISTINCT tableoid::regclass::text AS name FROM scans")
        assert {row["name"] for row in homes} == {month_name(months_before(now, m)) for m in (7, 2, 0)}
        assert await rolled_up(pool) == counted
        await add_scans(pool, product, now, 1)
        assert await rolled_up(pool) == counted + 1
        assert await pool.fetchval("SELECT max(id) FROM scans") == before[-1]["id"] + 1
        finding, _ = await ledger.verify()
        assert finding.ok and finding.entries_checked == len(before) + 1


async def test_retention_drops_only_rolled_up_and_sealed_months_and_the_ledger_still_verifies(scan_db) -> None:
    pool, ledger, catalog = scan_db
    now = datetime.now(UTC)
    oldest, middle, newest = (months_before(now, months) for months in (5, 4, 3))
    await pool.execute("SELECT scans_add_partitions($1, $2)", oldest, now)
    product = await catalog.product()
    for month in (oldest, middle, newest, now.replace(day=1, hour=0)):
        await add_scans(pool, product, month + timedelta(days=1), 5)
    sealed, _ = await ledger.verify()
    assert sealed.ok and sealed.entries_checked == 20
    # The middle month's rollups miss a scan; the newest month gets scans no signed checkpoint covers yet.
    await pool.execute(
        "UPDATE scan_daily SET authentic = authentic - 1 WHERE day = ($1 AT TIME ZONE 'UTC')::date",
        middle + timedelta(days=1),
    )
    await add_scans(pool, product, newest + timedelta(days=2), 2)
    await ledger.seal()
    counted = await rolled_up(pool)

    partitions = Partitions(pool, ahead_months=3, retention_months=2)
    first = await partitions.maintain()
    assert first.dropped == [month_name(oldest)]
    assert "rollups" in first.kept[month_name(middle)]
    assert "signed checkpoint" in first.kept[month_name(newest)]
    assert month_name(oldest) not in await partition_names(pool)
    assert await pool.fetchval("SELECT count(*) FROM scans") == 17
    assert await rolled_up(pool) == counted
    assert await pool.fetchval("SELECT count(*) FROM scan_ledger WHERE pruned") == 5

    finding, latest = await ledger.verify()
    assert finding.ok and finding.entries_checked == 22
    # Proofs read stored leaf hashes and Merkle nodes only: a dropped scan's entry still proves.
    assert latest is not None and ledger.notary is not None
    size, leaf, path, _ = await Transparency(LedgerStore(pool), ledger.notary, []).inclusion(0, latest.tree_size)
    assert merkle.verify_inclusion(leaf, 0, size, path, latest.root_hash)
    proof, first_root, second_root = await ledger.consistency(3, latest.tree_size)
    assert second_root == latest.root_hash
    assert merkle.verify_consistency(3, latest.tree_size, first_root, second_root, proof)
    second = await partitions.maintain()
    assert second.dropped == [month_name(newest)] and list(second.kept) == [month_name(middle)]
    finding, _ = await ledger.verify()
    assert finding.ok and finding.entries_checked == 22

    # A scan deleted by hand, not by retention, is still named.
    await pool.execute("DELETE FROM scans WHERE ledger_seq = (SELECT max(ledger_seq) FROM scans)")
    finding, _ = await ledger.verify()
    assert not finding.ok and "deleted" in finding.problem
