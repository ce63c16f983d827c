"""The audit log: every mutating RPC of every service appends one entry in its own transaction.

Entries form a SHA-256 hash chain: hash = SHA-256(prev_hash || canonical JSON of the entry). A
transaction-scoped advisory lock orders appends, so call ``record`` as the last statement of the
transaction: the lock is then held only for the commit.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from voketag.auth import current_principal
from voketag.context import client_address, request_id, rpc_method
from voketag.db import Connection
from voketag.locks import Lock, xact_lock

GENESIS = "0" * 64
_FIELDS = ("at", "actor", "actor_role", "factory_id", "action", "object_type", "object_id", "request_id", "source")


def _digest(prev_hash: str, entry: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {**{name: entry[name] for name in _FIELDS}, "at": entry["at"].isoformat(), "details": entry["details"]},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


async def record(
    conn: Connection,
    object_type: str,
    object_id: str,
    details: Mapping[str, Any] | None = None,
    action: str | None = None,
) -> int:
    """Append an entry for the current RPC (actor, request id, source from the RPC context)."""
    if not conn.is_in_transaction():
        raise RuntimeError("audit.record must run inside the transaction of the change it records")
    principal = current_principal()
    entry = {
        "at": datetime.now(UTC),
        "actor": principal.subject if principal else "anonymous",
        "actor_role": principal.role.value if principal else "",
        "factory_id": (principal.factory_id or "") if principal else "",
        "action": action or rpc_method.get(),
        "object_type": object_type,
        "object_id": object_id,
        "request_id": request_id.get(),
        # Anonymous callers are consumers: their raw IP address is never stored.
        "source": client_address.get() if principal else "",
        "details": dict(details or {}),
    }
    await xact_lock(conn, Lock.AUDIT_APPEND)
    prev_hash = await conn.fetchval("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1") or GENESIS
    return int(
        await conn.fetchval(
            """INSERT INTO audit_log (at, actor, actor_role, factory_id, action, object_type, object_id,
                                      request_id, source, details, prev_hash, hash)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12) RETURNING seq""",
            *(entry[name] for name in _FIELDS),
            json.dumps(entry["details"]),
            prev_hash,
            _digest(prev_hash, entry),
        )
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries_checked: int
    first_bad_seq: int | None = None
    problem: str = ""


async def verify(conn: Connection) -> ChainReport:
    """Walk the whole chain in order; name the first entry that was edited, deleted or reordered."""
    expected_prev = GENESIS
    checked = 0
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        async for row in conn.cursor("SELECT * FROM audit_log ORDER BY seq", prefetch=2000):
            entry = {**dict(row), "details": json.loads(row["details"])}
            if row["prev_hash"] != expected_prev:
                return ChainReport(False, checked, row["seq"], "the entry before this one was deleted or reordered")
            if _digest(row["prev_hash"], entry) != row["hash"]:
                return ChainReport(False, checked, row["seq"], "this entry was edited")
            expected_prev = row["hash"]
            checked += 1
    return ChainReport(True, checked)
