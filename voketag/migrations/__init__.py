"""SQL migrations: numbered files applied in order, once, under a transaction-scoped advisory lock.

The lock makes concurrent start-ups safe (the second process waits, then finds nothing to do); it is
transaction-scoped so that it never outlives the migration, whatever the connection does next. A
migration that was applied and later edited is refused rather than silently skipped.
"""

import argparse
import asyncio
import hashlib
import logging
from dataclasses import dataclass
from importlib import resources

import asyncpg

from voketag.db import Connection
from voketag.locks import Lock, xact_lock
from voketag.settings import MigrateSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    found = []
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".sql"):
            version, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append(Migration(int(version), name, entry.read_text()))
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: Connection) -> list[int]:
    """Apply pending migrations in one transaction; return the versions applied."""
    applied_now = []
    async with conn.transaction():
        await xact_lock(conn, Lock.MIGRATIONS)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            row["version"]: row["checksum"]
            for row in await conn.fetch("SELECT version, checksum FROM schema_migrations")
        }
        for migration in available():
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise RuntimeError(f"migration {migration.version}_{migration.name} changed after it was applied")
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
            applied_now.append(migration.version)
    if applied_now:
        log.info("migrations applied", extra={"versions": applied_now})
    return applied_now


async def migrate_url(database_url: str) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


def main() -> None:
    """voketag-migrate: apply pending migrations to DATABASE_URL (or --database-url)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--database-url", help="overrides DATABASE_URL")
    args = parser.parse_args()
    url = args.database_url or MigrateSettings().database_url.get_secret_value()
    versions = asyncio.run(migrate_url(url))
    print(f"applied {versions}" if versions else "database is up to date")
