"""PostgreSQL side of the scans partitions: create months ahead, and the facts retention decides on."""

import re
from datetime import UTC, datetime

from scan_svc.model import Contents, Partition
from voketag.db import Connection, fetch_one
from voketag.locks import Lock, try_xact_lock

# Partition names as scans_add_partitions (migration 1030) makes them: scans_pYYYY_MM.
_NAME = re.compile(r"^scans_p(\d{4})_(\d{2})$")


def _partition(name: str) -> Partition | None:
    match = _NAME.match(name)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    starts = datetime(year, month, 1, tzinfo=UTC)
    ends = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return Partition(name, starts, ends)


async def lock(conn: Connection) -> bool:
    """Take the partition maintenance lock for the current transaction; False when another replica holds it."""
    return await try_xact_lock(conn, Lock.SCAN_PARTITIONS)


async def add(conn: Connection, first_at: datetime, last_at: datetime) -> int:
    """Create the missing monthly partitions from first_at's month to last_at's; return how many were created."""
    return int(await conn.fetchval("SELECT scans_add_partitions($1, $2)", first_at, last_at))


async def partitions(conn: Connection) -> list[Partition]:
    """The monthly partitions of scans, oldest first."""
    names = await conn.fetch(
        """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'scans'::regclass"""
    )
    found = [p for p in (_partition(row["relname"]) for row in names) if p is not None]
    return sorted(found, key=lambda p: p.starts)


async def contents(conn: Connection, partition: Partition) -> Contents:
    # The name comes from the catalogue and matched _NAME: safe to quote into the statement.
    row = await fetch_one(
        conn,
        f"""SELECT count(*) AS scans, coalesce(max(ledger_seq), 0) AS last_seq,
                   (SELECT coalesce(sum(authentic + suspicious + invalid + revoked), 0) FROM scan_daily
                    WHERE day >= ($1 AT TIME ZONE 'UTC')::date AND day < ($2 AT TIME ZONE 'UTC')::date) AS rolled_up
            FROM "{partition.name}" """,
        partition.starts,
        partition.ends,
    )
    return Contents(int(row["scans"]), int(row["last_seq"]), int(row["rolled_up"]))


async def signed_tree_size(conn: Connection) -> int:
    """Entries covered by the latest signed checkpoint (0 before the first one)."""
    return int(await conn.fetchval("SELECT coalesce(max(tree_size), 0) FROM scan_ledger_checkpoints"))


async def drop(conn: Connection, partition: Partition) -> None:
    """Mark the ledger entries of the partition's scans as pruned, then drop the partition."""
    await conn.execute(f'UPDATE scan_ledger SET pruned = true WHERE seq IN (SELECT ledger_seq FROM "{partition.name}")')
    await conn.execute(f'DROP TABLE "{partition.name}"')
