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
from admin_svc.model import TopBatch, TopProduct, VerdictSums
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
    top_products: list[TopProduct]
    top_batches: list[TopBatch]
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


def _add(counts: Counts, sums: VerdictSums) -> None:
    counts.verdicts["AUTHENTIC"] += sums.authentic
    counts.verdicts["SUSPICIOUS"] += sums.suspicious
    counts.verdicts["INVALID"] += sums.invalid
    counts.verdicts["REVOKED"] += sums.revoked
    counts.risk_sum += sums.risk_sum


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
        for figures, sums, window, counterfeit in zip(
            counts, [totals, *windows], catalog.windows, counterfeits, strict=True
        ):
            _add(figures, sums)
            figures.products = window.products
            figures.batches = window.batches
            figures.anchoring_failures = window.anchoring_failures
            figures.fraud_reports = window.fraud_reports
            figures.add_counterfeits(counterfeit)
        return Dashboard(
            counts[0],
            counts[1:],
            catalog.anchoring_backlog,
            counts[0].anchoring_failures,
            catalog.open_fraud_reports,
            now,
        )

    async def analytics(self, start: str, end: str, factory_id: uuid.UUID | None, top_n: int) -> Analytics:
        if not 0 <= top_n <= 100:
            raise InvalidArgument("TOP_N_INVALID", "top_n is 0..100", fields={"top_n": "0..100"})
        first, last = date_range(start, end, datetime.now(UTC).date())
        limit = top_n or 10
        # Two groups only because gather's typed overloads stop at six awaitables; all seven still run at once.
        (scans, catalog, countries, buckets), (products, batches, counterfeits) = await asyncio.gather(
            asyncio.gather(
                self._query(store.daily_scans, factory_id, first, last),
                self._query(store.daily_catalog, factory_id, _midnight(first), _midnight(last + timedelta(days=1))),
                self._query(store.by_country, factory_id, first, last),
                self._query(store.risk_histogram, factory_id, first, last),
            ),
            asyncio.gather(
                self._query(store.top_products, factory_id, first, last, limit),
                self._query(store.top_batches, factory_id, first, last, limit),
                self._query(store.counterfeits, factory_id, first, last),
            ),
        )
        days = {first + timedelta(days=i): Counts() for i in range((last - first).days + 1)}
        for day_scans in scans:
            _add(days[day_scans.day], day_scans.sums)
        for day_catalog in catalog:
            days[day_catalog.day].products = day_catalog.products
            days[day_catalog.day].fraud_reports = day_catalog.reports
        by_country: dict[str, Counts] = defaultdict(Counts)
        for country in countries:
            _add(by_country[country.country or "ZZ"], country.sums)
        by_key: list[tuple[int, str, int]] = []
        for found in counterfeits:
            if found.day is not None:
                days[found.day].add_counterfeits(found.scans)
            elif found.country is not None:
                by_country[found.country or "ZZ"].add_counterfeits(found.scans)
            else:
                by_key.append((found.key_id or 0, found.reason or "", found.scans))
        histogram = [0] * 10
        for bucket in buckets:
            histogram[bucket.bucket] = bucket.scans
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
