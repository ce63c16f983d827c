"""Dashboard and analytics queries: rollup tables plus small indexed lookups, never a scan of `scans`."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from admin_svc.model import (
    CatalogCounts,
    CatalogWindows,
    CounterfeitSum,
    CountryScans,
    DayCatalog,
    DayScans,
    RiskBucket,
    TopBatch,
    TopProduct,
    VerdictSums,
)
from voketag.db import Connection, Row, fetch_one

Conn = Connection


VERDICT_COLUMNS = ("authentic", "suspicious", "invalid", "revoked", "risk_sum")


def _sums(condition: str = "", suffix: str = "") -> str:
    """sum() of every verdict column (and risk_sum), optionally filtered, named <column><suffix>."""
    where = f" FILTER (WHERE {condition})" if condition else ""
    return ", ".join(f"coalesce(sum({c}){where}, 0)::bigint AS {c}{suffix}" for c in VERDICT_COLUMNS)


def _verdict_sums(row: Row, suffix: str = "") -> VerdictSums:
    """The columns _sums named with ``suffix``."""
    return VerdictSums(*(row[f"{c}{suffix}"] for c in VERDICT_COLUMNS))


async def scan_totals(conn: Conn, factory_id: uuid.UUID | None) -> VerdictSums:
    row = await fetch_one(
        conn, f"SELECT {_sums()} FROM scan_daily WHERE $1::uuid IS NULL OR factory_id = $1", factory_id
    )
    return _verdict_sums(row)


async def scan_windows(conn: Conn, factory_id: uuid.UUID | None, starts: list[datetime]) -> list[VerdictSums]:
    """Verdict counts and risk sums since each start (whole UTC hours)."""
    columns = ", ".join(_sums(f"hour >= ${i + 2}", str(i + 1)) for i in range(len(starts)))
    row = await fetch_one(
        conn,
        f"""SELECT {columns} FROM scan_hourly
            WHERE hour >= ${len(starts) + 2} AND ($1::uuid IS NULL OR factory_id = $1)""",
        factory_id,
        *starts,
        min(starts),
    )
    return [_verdict_sums(row, str(i + 1)) for i in range(len(starts))]


async def catalog_windows(conn: Conn, factory_id: uuid.UUID | None, starts: list[datetime]) -> CatalogWindows:
    """Products, batches, anchoring failures and fraud reports over all time and since each of three starts."""
    row = await fetch_one(
        conn,
        """WITH p AS (
               SELECT coalesce(sum(products), 0) AS p0,
                      coalesce(sum(products) FILTER (WHERE hour >= $2), 0) AS p1,
                      coalesce(sum(products) FILTER (WHERE hour >= $3), 0) AS p2,
                      coalesce(sum(products) FILTER (WHERE hour >= $4), 0) AS p3
               FROM product_hourly WHERE $1::uuid IS NULL OR factory_id = $1),
           b AS (
               SELECT count(*) AS b0, count(*) FILTER (WHERE created_at >= $2) AS b1,
                      count(*) FILTER (WHERE created_at >= $3) AS b2, count(*) FILTER (WHERE created_at >= $4) AS b3,
                      count(*) FILTER (WHERE state = 'FAILED') AS f0,
                      count(*) FILTER (WHERE state = 'FAILED' AND updated_at >= $2) AS f1,
                      count(*) FILTER (WHERE state = 'FAILED' AND updated_at >= $3) AS f2,
                      count(*) FILTER (WHERE state = 'FAILED' AND updated_at >= $4) AS f3,
                      count(*) FILTER (WHERE state IN ('CREATED', 'ANCHORING')) AS backlog
               FROM batches WHERE $1::uuid IS NULL OR factory_id = $1),
           r AS (
               SELECT count(*) AS r0, count(*) FILTER (WHERE created_at >= $2) AS r1,
                      count(*) FILTER (WHERE created_at >= $3) AS r2, count(*) FILTER (WHERE created_at >= $4) AS r3,
                      count(*) FILTER (WHERE status IN ('OPEN', 'INVESTIGATING')) AS open
               FROM fraud_reports WHERE $1::uuid IS NULL OR factory_id = $1)
           SELECT * FROM p, b, r""",
        factory_id,
        *starts,
    )
    # sum() of a bigint is numeric: whole numbers arrive as Decimal.
    windows = [
        CatalogCounts(int(row[f"p{i}"]), int(row[f"b{i}"]), int(row[f"f{i}"]), int(row[f"r{i}"])) for i in range(4)
    ]
    return CatalogWindows(windows, row["backlog"], row["open"])


async def _scan_sums(
    conn: Conn, key: str, table: str, factory_id: uuid.UUID | None, start: date, end: date
) -> Sequence[Row]:
    """Scan rollup sums per ``key`` over the days [start, end]; key and table are constants of this module."""
    return await conn.fetch(
        f"""SELECT {key}, {_sums()} FROM {table}
            WHERE day BETWEEN $2 AND $3 AND ($1::uuid IS NULL OR factory_id = $1) GROUP BY {key}""",
        factory_id,
        start,
        end,
    )


async def daily_scans(conn: Conn, factory_id: uuid.UUID | None, start: date, end: date) -> list[DayScans]:
    rows = await _scan_sums(conn, "day", "scan_daily", factory_id, start, end)
    return [DayScans(row["day"], _verdict_sums(row)) for row in rows]


async def daily_catalog(conn: Conn, factory_id: uuid.UUID | None, start: datetime, end: datetime) -> list[DayCatalog]:
    """Per UTC day in [start, end): products created and fraud reports filed."""
    rows = await conn.fetch(
        """WITH p AS (
               SELECT (hour AT TIME ZONE 'UTC')::date AS day, sum(products) AS n FROM product_hourly
               WHERE hour >= $2 AND hour < $3 AND ($1::uuid IS NULL OR factory_id = $1) GROUP BY 1),
           r AS (
               SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM fraud_reports
               WHERE created_at >= $2 AND created_at < $3 AND ($1::uuid IS NULL OR factory_id = $1) GROUP BY 1)
           SELECT coalesce(p.day, r.day) AS day, coalesce(p.n, 0)::bigint AS products,
                  coalesce(r.n, 0)::bigint AS reports
           FROM p FULL JOIN r ON r.day = p.day""",
        factory_id,
        start,
        end,
    )
    return [DayCatalog(**dict(row)) for row in rows]


async def by_country(conn: Conn, factory_id: uuid.UUID | None, start: date, end: date) -> list[CountryScans]:
    rows = await _scan_sums(conn, "country", "scan_daily_country", factory_id, start, end)
    return [CountryScans(row["country"], _verdict_sums(row)) for row in rows]


async def risk_histogram(conn: Conn, factory_id: uuid.UUID | None, start: date, end: date) -> list[RiskBucket]:
    rows = await conn.fetch(
        """SELECT bucket, sum(scans) AS scans FROM scan_daily_risk
           WHERE day BETWEEN $2 AND $3 AND ($1::uuid IS NULL OR factory_id = $1) GROUP BY 1""",
        factory_id,
        start,
        end,
    )
    return [RiskBucket(row["bucket"], int(row["scans"])) for row in rows]


def whole_months(start: date, end: date) -> tuple[date, date]:
    """The whole calendar months inside the days [start, end] as [first, after); both end + 1 day when none."""
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=31)).replace(day=1)
    after = (end + timedelta(days=1)).replace(day=1)
    if first >= after:
        first = after = end + timedelta(days=1)
    return first, after


def _rollup_rows(columns: str, daily: str, monthly: str) -> str:
    """Rows of a daily rollup over the days [$2, $3] of factory $1 (NULL: all), with its whole months [$4, $5)
    read from the monthly rollup instead: the same sums from fewer rows. Names are constants of this module."""
    factory = "($1::uuid IS NULL OR factory_id = $1)"
    return f"""SELECT {columns} FROM {monthly} WHERE month >= $4 AND month < $5 AND {factory}
               UNION ALL SELECT {columns} FROM {daily} WHERE day >= $2 AND day < $4 AND {factory}
               UNION ALL SELECT {columns} FROM {daily} WHERE day >= $5 AND day <= $3 AND {factory}"""


async def top_products(
    conn: Conn, factory_id: uuid.UUID | None, start: date, end: date, limit: int
) -> list[TopProduct]:
    rows = _rollup_rows(
        "product_id, batch_id, scans, risk_sum, max_risk, last_scanned_at",
        "scan_daily_risky_product",
        "scan_monthly_risky_product",
    )
    found = await conn.fetch(
        f"""WITH top AS (
               SELECT product_id, batch_id, sum(scans)::bigint AS scans, max(max_risk) AS max_risk,
                      sum(risk_sum)::float8 / sum(scans) AS average_risk, max(last_scanned_at) AS last_scanned_at
               FROM ({rows}) AS r
               GROUP BY product_id, batch_id
               ORDER BY average_risk DESC, scans DESC, product_id LIMIT $6)
           SELECT top.*, p.serial, b.sku FROM top
           JOIN products p ON p.id = top.product_id JOIN batches b ON b.id = top.batch_id
           ORDER BY average_risk DESC, scans DESC, product_id""",
        factory_id,
        start,
        end,
        *whole_months(start, end),
        limit,
    )
    return [TopProduct(**dict(row)) for row in found]


async def top_batches(conn: Conn, factory_id: uuid.UUID | None, start: date, end: date, limit: int) -> list[TopBatch]:
    rows = _rollup_rows("batch_id, factory_id, scans, suspicious, risk_sum", "scan_daily_batch", "scan_monthly_batch")
    found = await conn.fetch(
        f"""WITH top AS (
               SELECT batch_id, factory_id, sum(scans)::bigint AS scans, sum(suspicious)::bigint AS suspicious_scans,
                      sum(risk_sum)::float8 / sum(scans) AS average_risk
               FROM ({rows}) AS r
               GROUP BY batch_id, factory_id
               ORDER BY average_risk DESC, scans DESC, batch_id LIMIT $6)
           SELECT top.*, b.sku, b.product_line FROM top JOIN batches b ON b.id = top.batch_id
           ORDER BY average_risk DESC, scans DESC, batch_id""",
        factory_id,
        start,
        end,
        *whole_months(start, end),
        limit,
    )
    return [TopBatch(**dict(row)) for row in found]


async def counterfeit_windows(conn: Conn, factory_id: uuid.UUID | None, starts: list[datetime]) -> list[int]:
    """Counterfeit scans over all time, then since each start. They name no factory: all 0 when a factory is
    asked for."""
    since = ", ".join(
        f"coalesce(sum(scans) FILTER (WHERE hour >= ${i + 2}), 0)::bigint AS c{i + 1}" for i in range(len(starts))
    )
    row = await fetch_one(
        conn,
        f"SELECT coalesce(sum(scans), 0)::bigint AS c0, {since} FROM counterfeit_hourly WHERE $1::uuid IS NULL",
        factory_id,
        *starts,
    )
    return [row[f"c{i}"] for i in range(len(starts) + 1)]


async def counterfeits(conn: Conn, factory_id: uuid.UUID | None, start: date, end: date) -> list[CounterfeitSum]:
    """Counterfeit scans over the days [start, end], summed per day, per country and per (key id, reason):
    each row has exactly one of those groups set, the other columns NULL. None when a factory is asked for."""
    rows = await conn.fetch(
        """SELECT day, country, key_id, reason, sum(scans)::bigint AS scans FROM counterfeit_daily
           WHERE $1::uuid IS NULL AND day BETWEEN $2 AND $3
           GROUP BY GROUPING SETS ((day), (country), (key_id, reason))""",
        factory_id,
        start,
        end,
    )
    return [CounterfeitSum(**dict(row)) for row in rows]
