"""Analytics ranks over the monthly rollups for whole months and the daily ones at the edges (migration 4010):
its answers equal those of the daily rollups alone, for ranges that cut months anywhere."""

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime

import asyncpg
import pytest

from admin_svc import storage_reports as store

# Ranges over scans from 2025-11-10 to 2026-03-24: the middle of months, whole months, a year end, February,
# one month's inside, two partial months with no whole one between them, single days.
RANGES = [
    (date(2025, 11, 14), date(2026, 3, 20)),
    (date(2025, 12, 1), date(2026, 2, 28)),
    (date(2025, 12, 1), date(2026, 3, 20)),
    (date(2025, 11, 14), date(2026, 1, 31)),
    (date(2026, 1, 5), date(2026, 1, 25)),
    (date(2026, 1, 20), date(2026, 2, 10)),
    (date(2026, 2, 28), date(2026, 3, 1)),
    (date(2025, 11, 30), date(2025, 11, 30)),
    (date(2025, 10, 1), date(2026, 4, 30)),
]

# The ranking queries as they read scan_daily_risky_product and scan_daily_batch alone, before 4010.
DAILY_TOP_PRODUCTS = """
    WITH top AS (
        SELECT product_id, batch_id, sum(scans)::bigint AS scans, max(max_risk) AS max_risk,
               sum(risk_sum)::float8 / sum(scans) AS average_risk, max(last_scanned_at) AS last_scanned_at
        FROM scan_daily_risky_product
        WHERE day BETWEEN $2 AND $3 AND ($1::uuid IS NULL OR factory_id = $1)
        GROUP BY product_id, batch_id
        ORDER BY average_risk DESC, scans DESC, product_id LIMIT $4)
    SELECT top.*, p.serial, b.sku FROM top
    JOIN products p ON p.id = top.product_id JOIN batches b ON b.id = top.batch_id
    ORDER BY average_risk DESC, scans DESC, product_id"""
DAILY_TOP_BATCHES = """
    WITH top AS (
        SELECT batch_id, factory_id, sum(scans)::bigint AS scans, sum(suspicious)::bigint AS suspicious_scans,
               sum(risk_sum)::float8 / sum(scans) AS average_risk
        FROM scan_daily_batch
        WHERE day BETWEEN $2 AND $3 AND ($1::uuid IS NULL OR factory_id = $1)
        GROUP BY batch_id, factory_id
        ORDER BY average_risk DESC, scans DESC, batch_id LIMIT $4)
    SELECT top.*, b.sku, b.product_line FROM top JOIN batches b ON b.id = top.batch_id
    ORDER BY average_risk DESC, scans DESC, batch_id"""


@pytest.fixture
async def factory_scans(factory: dict, db: asyncpg.Connection) -> uuid.UUID:
    """Scans of 4 batches x 10 products every few hours over four and a half months, inserted in overlapping
    statements so the rollups are both created and added to."""
    fid = uuid.UUID(factory["id"])
    first, last = datetime(2025, 11, 10, tzinfo=UTC), datetime(2026, 3, 24, 23, tzinfo=UTC)
    await db.execute("SELECT scans_add_partitions($1, $2)", first, last)
    await db.execute(
        """INSERT INTO batches (id, factory_id, sku, product_line, quantity, state, key_id)
           SELECT gen_random_uuid(), $1, 'SKU-' || i, 'Watches', 10, 'ANCHORED', 1 FROM generate_series(0, 3) i""",
        fid,
    )
    await db.execute(
        """INSERT INTO products (id, batch_id, serial, leaf_index)
           SELECT gen_random_uuid(), b.id, $2::bigint + row_number() OVER (), j
           FROM batches b, generate_series(0, 9) j WHERE b.factory_id = $1""",
        fid,
        10**15 + uuid.uuid4().int % 10**12,
    )
    for step_hours, phase in ((7, 0), (11, 3), (13, 5)):
        await db.execute(
            """WITH p AS (SELECT p.id, p.batch_id, row_number() OVER (ORDER BY p.serial) - 1 AS n
                          FROM products p JOIN batches b ON b.id = p.batch_id WHERE b.factory_id = $1)
               INSERT INTO scans (product_id, batch_id, factory_id, scanned_at, verdict, risk_score, device_hash)
               SELECT p.id, p.batch_id, $1, s.t, CASE WHEN s.r >= 50 THEN 'SUSPICIOUS' ELSE 'AUTHENTIC' END, s.r,
                      repeat('b', 64)
               FROM (SELECT t, i, ((i * 37 + $5::int) % 101)::smallint AS r
                     FROM generate_series($2::timestamptz, $3::timestamptz, $4::int * interval '1 hour')
                          WITH ORDINALITY AS g (t, i)) AS s
               JOIN p ON p.n = (s.i * 7 + $5::int) % 40""",
            fid,
            first,
            last,
            step_hours,
            phase,
        )
    return fid


@pytest.mark.parametrize(("start", "end"), RANGES)
async def test_rankings_equal_the_daily_rollups(
    factory_scans: uuid.UUID, db: asyncpg.Connection, start: date, end: date
) -> None:
    for factory_id in (factory_scans, None):
        products = await store.top_products(db, factory_id, start, end, 100)
        assert [asdict(r) for r in products] == [
            dict(r) for r in await db.fetch(DAILY_TOP_PRODUCTS, factory_id, start, end, 100)
        ]
        batches = await store.top_batches(db, factory_id, start, end, 100)
        assert [asdict(r) for r in batches] == [
            dict(r) for r in await db.fetch(DAILY_TOP_BATCHES, factory_id, start, end, 100)
        ]
    assert products, "the range has risky scans"


async def test_monthly_rollups_sum_the_daily_ones(factory_scans: uuid.UUID, db: asyncpg.Connection) -> None:
    monthly = await db.fetch(
        """SELECT month, product_id, batch_id, scans, risk_sum, max_risk, last_scanned_at
           FROM scan_monthly_risky_product WHERE factory_id = $1 ORDER BY 1, 2""",
        factory_scans,
    )
    from_daily = await db.fetch(
        """SELECT date_trunc('month', day)::date AS month, product_id, batch_id, sum(scans) AS scans,
                  sum(risk_sum) AS risk_sum, max(max_risk) AS max_risk, max(last_scanned_at) AS last_scanned_at
           FROM scan_daily_risky_product WHERE factory_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2""",
        factory_scans,
    )
    assert len(monthly) > 40 and [dict(r) for r in monthly] == [dict(r) for r in from_daily]
    batches = await db.fetch(
        """SELECT month, batch_id, scans, suspicious, risk_sum FROM scan_monthly_batch WHERE factory_id = $1
           ORDER BY 1, 2""",
        factory_scans,
    )
    direct = await db.fetch(
        """SELECT date_trunc('month', scanned_at AT TIME ZONE 'UTC')::date AS month, batch_id, count(*) AS scans,
                  count(*) FILTER (WHERE verdict = 'SUSPICIOUS') AS suspicious, sum(risk_score) AS risk_sum
           FROM scans WHERE factory_id = $1 GROUP BY 1, 2 ORDER BY 1, 2""",
        factory_scans,
    )
    assert len(batches) == 4 * 5 and [dict(r) for r in batches] == [dict(r) for r in direct]
