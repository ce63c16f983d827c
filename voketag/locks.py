"""Every PostgreSQL advisory lock of the mesh: one registry, so that no two jobs ever share a key.

Two jobs on one key block each other for no reason (the ledger sealer once froze whenever the anchoring
cycle waited on a slow chain node). Keys are only taken through the helpers below, transaction-scoped:
asyncpg's pool runs pg_advisory_unlock_all() on release, so session locks would not survive it anyway.
"""

import enum

from voketag.db import Connection


@enum.unique
class Lock(enum.IntEnum):
    """Arbitrary constants ("voketag" in ASCII, then a number); never reuse a retired value."""

    MIGRATIONS = 0x766F6B6574616701
    AUDIT_APPEND = 0x766F6B6574616702
    ANCHOR_CYCLE = 0x766F6B6574616703
    LEDGER_SEAL = 0x766F6B6574616704
    COUNTERFEIT_FLUSH = 0x766F6B6574616705
    SCAN_PARTITIONS = 0x766F6B6574616730


async def xact_lock(conn: Connection, lock: Lock) -> None:
    """Wait for ``lock``; it is released when the current transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", int(lock))


async def try_xact_lock(conn: Connection, lock: Lock) -> bool:
    """Take ``lock`` for the current transaction if nobody holds it; False otherwise."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", int(lock)))
