"""PostgreSQL access through one asyncpg pool per process."""

from collections.abc import Mapping
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from voketag.settings import RuntimeSettings

# What storage functions take: pool.acquire() hands out proxies, migrations and tests raw connections.
Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
# A read that needs no transaction of its own may run on the pool directly.
Executor: TypeAlias = Connection | asyncpg.Pool

# A row as domain code reads it by column name: asyncpg's Record is not a Mapping to type checkers.
Row: TypeAlias = asyncpg.Record | Mapping[str, Any]


class Where:
    """A WHERE clause built from optional filters, with numbered parameters."""

    def __init__(self) -> None:
        self.conditions: list[str] = ["true"]
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str, *values: Any) -> None:
        """`condition` uses {} placeholders, one per value; None values drop the condition."""
        if any(value is None or value == "" for value in values):
            return
        self.conditions.append(condition.format(*(self.arg(value) for value in values)))

    @property
    def sql(self) -> str:
        return " AND ".join(self.conditions)


class MissingRow(LookupError):
    """A query that always yields a row (an aggregate, an UPDATE of a row the caller holds) yielded none."""


async def fetch_one(conn: Executor, query: str, *args: object) -> asyncpg.Record:
    """fetchrow for queries that cannot come back empty, typed so: callers need no None branch."""
    row = await conn.fetchrow(query, *args)
    if row is None:
        raise MissingRow(query.split(None, 3)[:3])
    return row


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without the RESET ALL / UNLISTEN / advisory-unlock round trip.

    The mesh keeps no session state (transaction-scoped advisory locks only, no LISTEN, no SET), and
    asyncpg still rolls back a transaction left open before it calls this, so the round trip that the
    default reset spends on every release buys nothing on the hot paths.
    """


async def create_pool(settings: RuntimeSettings) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.database_url.get_secret_value(),
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        # A pooled connection that outlived a PostgreSQL restart is detected and replaced on acquire.
        max_inactive_connection_lifetime=60,
        reset=_keep_session,
    )
