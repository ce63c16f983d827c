"""Dashboard and analytics figures equal direct SQL over the base tables on a seeded data set."""

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from tests.admin.conftest import VERDICTS, Api, Seeded, seed


@pytest.fixture
async def seeded(admin: Api, factory: dict, db: asyncpg.Connection) -> Seeded:
    return await seed(db, factory["id"])


def verdicts(rows: list[asyncpg.Record]) -> dict[str, int]:
    found = {row["verdict"]: row["n"] for row in rows}
    return {v.lower(): int(found.get(v, 0)) for v in VERDICTS}


async def expected_counts(db: asyncpg.Connection, fid: uuid.UUID, since: datetime) -> dict:
    scans = await db.fetch(
        """SELECT verdict, count(*) AS n, sum(risk_score) AS risk FROM scans
           WHERE factory_id = $1 AND scanned_at >= $2 GROUP BY verdict""",
        fid,
        since,
    )
    total = sum(row["n"] for row in scans)
    risk = sum(row["risk"] for row in scans)
    return {
        "products": str(
            await db.fetchval(
                """SELECT count(*) FROM products p JOIN batches b ON b.id = p.batch_id
                   WHERE b.factory_id = $1 AND p.created_at >= $2""",
                fid,
                since,
            )
        ),
        "batches": str(
            await db.fetchval("SELECT count(*) FROM batches WHERE factory_id = $1 AND created_at >= $2", fid, since)
        ),
        "scans": str(total),
        "verdicts": {k: str(v) for k, v in verdicts(scans).items()},
        "averageRisk": pytest.approx(risk / total if total else 0),
        "anchoringFailures": str(
            await db.fetchval(
                "SELECT count(*) FROM batches WHERE factory_id = $1 AND state = 'FAILED' AND updated_at >= $2",
                fid,
                since,
            )
        ),
        "fraudReports": str(
            await db.fetchval(
                "SELECT count(*) FROM fraud_reports WHERE factory_id = $1 AND created_at >= $2", fid, since
            )
        ),
        # Counterfeit scans name no factory (tests/admin/test_counterfeits.py counts them brand-wide).
        "counterfeitScans": "0",
    }


async def test_dashboard_equals_direct_counts(admin: Api, seeded: Seeded, db: asyncpg.Connection) -> None:
    board = admin.ok("GET", "/v1/admin/dashboard", factoryId=seeded.factory_id)
    generated = datetime.fromisoformat(board["generatedAt"].replace("Z", "+00:00"))
    fid = uuid.UUID(seeded.factory_id)
    # Windows start at the top of the hour (documented); totals start at the beginning of time.
    for key, span in (("last24h", timedelta(hours=24)), ("last7d", timedelta(days=7)), ("last30d", timedelta(days=30))):
        since = (generated - span).replace(minute=0, second=0, microsecond=0)
        assert board[key] == await expected_counts(db, fid, since), key
    assert board["totals"] == await expected_counts(db, fid, datetime(2000, 1, 1, tzinfo=UTC))
    assert board["totals"]["scans"] == "400"
    assert board["anchoringBacklog"] == "1" and board["anchoringFailed"] == "1"
    assert board["openFraudReports"] == "3"


async def test_analytics_equals_direct_counts(admin: Api, seeded: Seeded, db: asyncpg.Connection) -> None:
    fid = uuid.UUID(seeded.factory_id)
    today = datetime.now(UTC).date()
    start = today - timedelta(days=44)
    result = admin.ok("GET", "/v1/admin/analytics", factoryId=seeded.factory_id, startDate=start.isoformat(), topN=5)
    assert (result["startDate"], result["endDate"]) == (start.isoformat(), today.isoformat())
    lower = datetime(start.year, start.month, start.day, tzinfo=UTC)
    rows = await db.fetch(
        """SELECT (scanned_at AT TIME ZONE 'UTC')::date AS day, verdict, count(*) AS n FROM scans
           WHERE factory_id = $1 AND scanned_at >= $2 GROUP BY 1, 2""",
        fid,
        lower,
    )
    assert len(result["daily"]) == 45
    for entry in result["daily"]:
        day = date.fromisoformat(entry["date"])
        expected = verdicts([row for row in rows if row["day"] == day])
        assert {k: int(v) for k, v in entry["verdicts"].items()} == expected, day
        assert int(entry["scans"]) == sum(expected.values())
    countries = await db.fetch(
        """SELECT CASE country WHEN '' THEN 'ZZ' ELSE country END AS c, count(*) AS n FROM scans
           WHERE factory_id = $1 AND scanned_at >= $2 GROUP BY 1 ORDER BY 2 DESC, 1""",
        fid,
        lower,
    )
    assert [(c["countryCode"], int(c["scans"])) for c in result["byCountry"]] == [(r["c"], r["n"]) for r in countries]
    histogram = await db.fetch(
        """SELECT least(risk_score / 10, 9) AS b, count(*) AS n FROM scans
           WHERE factory_id = $1 AND scanned_at >= $2 GROUP BY 1""",
        fid,
        lower,
    )
    by_bucket = {row["b"]: row["n"] for row in histogram}
    assert [int(b["count"]) for b in result["riskHistogram"]] == [by_bucket.get(i, 0) for i in range(10)]
    assert result["riskHistogram"][9] == {"minScore": 90, "maxScore": 100, "count": str(by_bucket.get(9, 0))}
    top_batches = await db.fetch(
        """SELECT batch_id, count(*) AS n, avg(risk_score)::float8 AS a FROM scans
           WHERE factory_id = $1 AND scanned_at >= $2 GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT 5""",
        fid,
        lower,
    )
    assert [(b["batchId"], int(b["scans"])) for b in result["topRiskyBatches"]] == [
        (str(r["batch_id"]), r["n"]) for r in top_batches
    ]
    for got, want in zip(result["topRiskyBatches"], top_batches, strict=True):
        assert got["averageRisk"] == pytest.approx(want["a"])
    top_products = await db.fetch(
        """SELECT product_id, count(*) AS n, max(risk_score) AS m, avg(risk_score)::float8 AS a FROM scans
           WHERE factory_id = $1 AND scanned_at >= $2 AND risk_score >= 50
           GROUP BY 1 ORDER BY 4 DESC, 2 DESC, 1 LIMIT 5""",
        fid,
        lower,
    )
    assert [(p["productId"], int(p["scans"]), p["maxRisk"]) for p in result["topRiskyProducts"]] == [
        (str(r["product_id"]), r["n"], r["m"]) for r in top_products
    ]
    assert top_products, "the seed has risky products"


def test_analytics_rejects_bad_ranges(admin: Api) -> None:
    assert admin.call("GET", "/v1/admin/analytics", startDate="2026-13-01").status_code == 400
    assert admin.call("GET", "/v1/admin/analytics", startDate="2024-01-01", endDate="2025-06-01").status_code == 400
    assert admin.call("GET", "/v1/admin/analytics", startDate="2025-02-01", endDate="2025-01-01").status_code == 400
    assert admin.call("GET", "/v1/admin/analytics", topN=101).status_code == 400
    assert len(admin.ok("GET", "/v1/admin/analytics")["daily"]) == 30
