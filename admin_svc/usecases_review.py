"""Fraud review and audit: suspicious scans, fraud reports, the audit log and its verification."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from admin_svc import storage_review as store
from admin_svc.domain import invalid
from admin_svc.model import AuditFilter, AuditRow, ReportFilter, ReportRow, ScanFilter, ScanRow
from voketag import audit
from voketag.errors import InvalidArgument, NotFound
from voketag.limits import LIMITS
from voketag.paging import Page, decode_token, page_size, paginate

REPORT_STATUSES = ("OPEN", "INVESTIGATING", "CONFIRMED", "DISMISSED")
_NOTE = LIMITS["voketag.admin.v1.FraudReport.note"]


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    first_bad_sequence: int
    problem: str
    entries_checked: int
    latest_sequence: int


_COUNTRY = re.compile(r"[A-Z]{2}")


def _filters(value: object) -> dict[str, str]:
    return {key: str(item) for key, item in vars(value).items()}


def checked(scans: ScanFilter) -> ScanFilter:
    if not 0 <= scans.min_risk <= 100:
        raise invalid("min_risk", "0..100")
    if scans.country and not _COUNTRY.fullmatch(scans.country):
        raise invalid("country_code", "two uppercase letters (ISO 3166-1 alpha-2)")
    return scans


class Review:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def suspicious_scans(self, scans: ScanFilter, size: int, token: str) -> Page[ScanRow]:
        limit = page_size(size)
        filters = _filters(scans)
        key = decode_token(token, filters, (datetime.fromisoformat, int))
        after = (datetime.fromisoformat(key[0]), int(key[1])) if key is not None else None
        async with self._pool.acquire() as conn:
            rows = await store.scans(conn, checked(scans), after, limit + 1)
        return paginate(rows, limit, lambda r: [r.scanned_at.isoformat(), r.id], filters)

    async def reports(
        self,
        status: str,
        factory_id: uuid.UUID | None,
        product_id: uuid.UUID | None,
        batch_id: uuid.UUID | None,
        size: int,
        token: str,
    ) -> Page[ReportRow]:
        limit = page_size(size)
        filters = {"status": status, "factory": factory_id, "product": product_id, "batch": batch_id}
        key = decode_token(token, filters, (datetime.fromisoformat, uuid.UUID))
        after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1])) if key is not None else None
        async with self._pool.acquire() as conn:
            rows = await store.reports(conn, ReportFilter(status, factory_id, product_id, batch_id), after, limit + 1)
        return paginate(rows, limit, lambda r: [r.created_at.isoformat(), str(r.id)], filters)

    async def report(self, report_id: uuid.UUID) -> ReportRow:
        async with self._pool.acquire() as conn:
            return _found(await store.report(conn, report_id))

    async def update_report(
        self, actor: str, report_id: uuid.UUID, paths: Sequence[str], status: str, note: str
    ) -> ReportRow:
        if not paths or set(paths) - {"status", "note"}:
            raise invalid("update_mask", "paths among status, note")
        if "status" in paths and status not in REPORT_STATUSES:
            raise invalid("report.status", "OPEN, INVESTIGATING, CONFIRMED or DISMISSED")
        if "note" in paths and len(note) > _NOTE.high:
            raise invalid("report.note", _NOTE.describe() + " chars")
        async with self._pool.acquire() as conn, conn.transaction():
            current = _found(await store.report(conn, report_id, lock=True))
            new_status = status if "status" in paths else current.status
            new_note = note if "note" in paths else current.note
            updated = await store.update_report(conn, report_id, new_status, new_note, actor)
            await audit.record(
                conn,
                "fraud_report",
                str(report_id),
                {"from": current.status, "to": new_status, "fields": ",".join(sorted(set(paths)))},
            )
        return updated

    async def audit_log(self, entries: AuditFilter, size: int, token: str) -> Page[AuditRow]:
        limit = page_size(size)
        filters = _filters(entries)
        key = decode_token(token, filters, (int,))
        async with self._pool.acquire() as conn:
            rows = await store.audit_entries(conn, entries, int(key[0]) if key is not None else None, limit + 1)
        return paginate(rows, limit, lambda r: [r.seq], filters)

    async def verify_audit_log(self, first: int, last: int) -> ChainCheck:
        """Walk the chain from entry 1 (a link can only be trusted if everything before it is) up to the end;
        a problem counts when it lies inside [first, last]."""
        if last and first > last:
            raise InvalidArgument(
                "RANGE_INVALID", "from_sequence is after to_sequence", fields={"from_sequence": "<= to_sequence"}
            )
        async with self._pool.acquire() as conn:
            report = await audit.verify(conn)
            latest = await store.latest_audit_seq(conn)
        end = last or latest
        bad = report.first_bad_seq
        if report.ok or bad is None or bad > end:
            checked = max(0, min(end, latest) - max(first, 1) + 1)
            return ChainCheck(True, 0, "", checked, latest)
        checked = max(0, bad - max(first, 1))
        return ChainCheck(False, bad, report.problem[:500], checked, latest)


def _found(row: ReportRow | None) -> ReportRow:
    if row is None:
        raise NotFound("NOT_FOUND", "no such fraud report")
    return row
