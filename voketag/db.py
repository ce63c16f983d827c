"""PostgreSQL access through one asyncpg pool per process."""

import asyncpg

from voketag.settings import RuntimeSettings


async def create_pool(settings: RuntimeSettings) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.database_url.get_secret_value(),
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        # A pooled connection that outlived a PostgreSQL restart is detected and replaced on acquire.
        max_inactive_connection_lifetime=60,
    )
