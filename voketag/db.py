"""PostgreSQL access through one asyncpg pool per process."""

import asyncpg

from voketag.settings import RuntimeSettings


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
