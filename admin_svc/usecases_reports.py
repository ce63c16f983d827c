"""Dashboard and analytics: figures assembled from the rollups (voketag/migrations/4002_admin_rollups.sql)."""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import asyncpg

from admin_svc import storage_reports as store
from voketag.db import Row
from voketag.errors import InvalidArgument

R = TypeVar("R")
VERDICTS = ("AUTHENTIC", "SUSPICIOUS", "INVALID", "REVOKED")
WINDOWS = (timedelta(hours=24), timedelta(days=7), timedelta(days=30))
MAX_RANGE_DAYS = 366


@dataclass
class Counts:
    products: int = 0
    batches: int = 0
    verdicts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))
    risk_sum: int = 0
    anchoring_failures: int = 0
    fraud_reports: int = 0
    # Scans of codes that name no product: in scans and verdicts["INVALID"], not in risk_sum.
    counterfeits: int = 0

    @property
    def scans(self) -> int:
        return sum(self.verdicts.values())

    @property
    def average_risk(self) -> float:
        """Mean risk of the scans of the brand's codes: counterfeit scans (always 100) would drown it."""
        recorded = self.scans - self.counterfeits
        return self.risk_sum / recorded if recorded else 0.0

    def add_counterfeits(self, scans: int) -> None:
        self.counterfeits += scans
        self.verdicts["INVALID"] += scans


@dataclass
class Dashboard:
    totals: Counts
    windows: list[Counts]
    anchoring_backlog: int
    anchoring_failed: int
    open_fraud_reports: int
    generated_at: datetime


@dataclass
class Day:
    day: date
    counts: Counts


@dataclass
class Analytics:
    start: date
    end: date
    daily: list[Day]
    by_country: list[tuple[str, Counts]]
    verdicts: dict[str, int]
    histogram: list[int]
    top_products: list[asyncpg.Record]
    top_batches: list[asyncpg.Record]
    # (key id, reason, scans), most scans first.
    counterfeits: list[tuple[int, str, int]]


def window_starts(now: datetime) -> list[datetime]:
    """Windows cover whole UTC hours: 'last 24 h' starts at the top of the hour 24 h ago."""
    return [(now - span).replace(minute=0, second=0, microsecond=0) for span in WINDOWS]


def date_range(start: str, end: str, today: date) -> tuple[date, date]:
    def parse(value: str, name: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidArgument("DATE_INVALID", f"{name} must be YYYY-MM-DD", fields={name: "YYYY-MM-DD"}) from exc

    last = parse(end, "end_date") if end else today
    first = parse(start, "start_date") if start else last - timedelta(days=29)
    if first > last:
        raise InvalidArgument("DATE_RANGE_INVALID", "start_date is after end_date", fields={"start_date": "<= end"})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidArgument(
            "DATE_RANGE_TOO_LONG", "the range is at most 366 days", fields={"start_date": "at most 366 days"}
        )
    return first, last


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _add(counts: Counts, row: Row, suffix: str = "") -> None:
    for verdict in VERDICTS:
        counts.verdicts[verdict] += row[f"{verdict.lower()}{suffix}"]
    counts.risk_sum += row[f"risk_sum{suffix}"]


class Reports:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def _query(self, query: Callable[..., Awaitable[R]], *args: object) -> R:
        async with self._pool.acquire() as conn:
            return await query(conn, *args)

    async def dashboard(self, factory_id: uuid.UUID | None) -> Dashboard:
        now = datetime.now(UTC)
        starts = window_starts(now)
        # Independent reads on separate connections: the answer takes as long as the slowest one.
        totals, windows, catalog, counterfeits = await asyncio.gather(
            self._query(store.scan_totals, factory_id),
            self._query(store.scan_windows, factory_id, starts),
            self._query(store.catalog_windows, factory_id, starts),
            self._query(store.counterfeit_windows, factory_id, starts),
        )
        counts = [Counts() for _ in range(4)]
        _add(counts[0], totals)
        for i in (1, 2, 3):
            _add(counts[i], windows, str(i))
        for i, figures in enumerate(counts):
            figures.products = int(catalog[f"p{i}"])
            figures.batches = int(catalog[f"b{i}"])
            figures.anchoring_failures = int(catalog[f"f{i}"])
            figures.fraud_reports = int(catalog[f"r{i}"])
            figures.add_counterfeits(int(counterfeits[f"c{i}"]))
        return Dashboard(counts[0], counts[1:], catalog["backlog"], catalog["f0"], catalog["open"], now)

    async def analytics(self, start: str, end: str, factory_id: uuid.UUID | None, top_n: int) -> Analytics:
        if not 0 <= top_n <= 100:
            raise InvalidArgument("TOP_N_INVALID", "top_n is 0..100", fields={"top_n": "0..100"})
        first, last = date_range(start, end, datetime.now(UTC).date())
        limit = top_n or 10
        scans, catalog, countries, buckets, products, batches, counterfeits = await asyncio.gather(
            self._query(store.daily_scans, factory_id, first, last),
            self._query(store.daily_catalog, factory_id, _midnight(first), _midnight(last + timedelta(days=1))),
            self._query(store.by_country, factory_id, first, last),
            self._query(store.risk_histogram, factory_id, first, last),
            self._query(store.top_products, factory_id, first, last, limit),
            self._query(store.top_batches, factory_id, first, last, limit),
            self._query(store.counterfeits, factory_id, first, last),
        )
        days = {first + timedelta(days=i): Counts() for i in range((last - first).days + 1)}
        for row in scans:
            _add(days[row["day"]], row)
        for row in catalog:
            days[row["day"]].products = row["products"]
            days[row["day"]].fraud_reports = row["reports"]
        by_country: dict[str, Counts] = defaultdict(Counts)
        for row in countries:
            _add(by_country[row["country"] or "ZZ"], row)
        by_key: list[tuple[int, str, int]] = []
        for row in counterfeits:
            if row["day"] is not None:
                days[row["day"]].add_counterfeits(row["scans"])
            elif row["country"] is not None:
                by_country[row["country"] or "ZZ"].add_counterfeits(row["scans"])
            else:
                by_key.append((row["key_id"], row["reason"], row["scans"]))
        histogram = [0] * 10
        for row in buckets:
            histogram[row["bucket"]] = int(row["scans"])
        verdicts = {v: sum(d.verdicts[v] for d in days.values()) for v in VERDICTS}
        return Analytics(
            first,
            last,
            [Day(day, figures) for day, figures in days.items()],
            sorted(by_country.items(), key=lambda item: (-item[1].scans, item[0])),
            verdicts,
            histogram,
            products,
            batches,
            sorted(by_key, key=lambda item: (-item[2], item[0], item[1])),
        )
