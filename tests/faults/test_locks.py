"""Advisory locks: every key comes from voketag.locks, each key has one user, and holding one blocks no other."""

import re
from pathlib import Path

import asyncpg

from voketag.locks import Lock, try_xact_lock
from voketag.migrations import migrate

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("voketag", "scan_svc", "factory_svc", "admin_svc", "anchor_svc", "gateway", "bench")
REGISTRY = ROOT / "voketag" / "locks.py"


def _source_files() -> list[Path]:
    files = [path for top in SOURCES for suffix in ("*.py", "*.sql") for path in (ROOT / top).rglob(suffix)]
    return [path for path in files if path != REGISTRY]


def test_no_two_locks_share_a_key() -> None:
    values = [int(lock) for lock in Lock]
    assert len(values) == len(set(values))


def test_advisory_locks_are_taken_only_through_the_registry() -> None:
    """A literal key (or a lock function called directly) anywhere else could collide unseen."""
    direct = re.compile(r"pg_(try_)?advisory\w*\(", re.IGNORECASE)
    offenders = [str(path.relative_to(ROOT)) for path in _source_files() if direct.search(path.read_text())]
    assert offenders == []


def test_each_lock_has_exactly_one_user() -> None:
    users: dict[Lock, list[str]] = {lock: [] for lock in Lock}
    for path in _source_files():
        text = path.read_text()
        for lock in Lock:
            if re.search(rf"\bLock\.{lock.name}\b", text):
                users[lock].append(str(path.relative_to(ROOT)))
    assert {lock.name: len(found) for lock, found in users.items()} == {lock.name: 1 for lock in Lock}, users


async def test_a_held_sealer_lock_does_not_stop_the_anchoring_cycle(fresh_database: str) -> None:
    """The fault seen: the ledger sealer and the anchoring cycle shared a key, so either stalled the other."""
    holder = await asyncpg.connect(fresh_database)
    other = await asyncpg.connect(fresh_database)
    try:
        await migrate(holder)
        async with holder.transaction():
            assert await try_xact_lock(holder, Lock.LEDGER_SEAL)
            async with other.transaction():
                assert not await try_xact_lock(other, Lock.LEDGER_SEAL)
                for lock in set(Lock) - {Lock.LEDGER_SEAL}:
                    assert await try_xact_lock(other, lock), lock
    finally:
        await holder.close()
        await other.close()
