"""voketag-create-admin: create the first admin user (or any further one) directly in the database.

    DATABASE_URL=... VOKETAG_ADMIN_PASSWORD=... voketag-create-admin --email ops@example.com --name "Ops"

Without VOKETAG_ADMIN_PASSWORD the password is asked for on the terminal. The command applies pending
migrations first and writes an audit entry for the new user.
"""

import argparse
import asyncio
import getpass
import sys
import uuid

import asyncpg
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from admin_svc import storage_identity
from admin_svc.secrets import Passwords
from admin_svc.usecases_identity import check_email, check_password, check_text
from voketag import audit, migrations
from voketag.errors import DomainError

ACTION = "voketag-create-admin"


class BootstrapSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: SecretStr
    voketag_admin_password: SecretStr | None = None


async def create_admin(database_url: str, email: str, name: str, password: str) -> uuid.UUID:
    email = check_email(email)
    check_text(name, "name", 1, 200)
    check_password(password)
    password_hash = await Passwords().hash(password)
    conn = await asyncpg.connect(database_url)
    try:
        await migrations.migrate(conn)
        async with conn.transaction():
            user_id = uuid.uuid4()
            if not await storage_identity.insert_first_admin(conn, user_id, email, name, password_hash):
                raise SystemExit(f"a user with email {email} already exists")
            await audit.record(conn, "user", str(user_id), {"role": "admin"}, action=ACTION)
    finally:
        await conn.close()
    return user_id


def main() -> None:
    parser = argparse.ArgumentParser(description="Create an admin user of VokeTag.")
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True, help="display name")
    args = parser.parse_args()
    settings = BootstrapSettings()
    secret = settings.voketag_admin_password
    password = secret.get_secret_value() if secret else getpass.getpass("password (12..128 chars): ")
    try:
        user_id = asyncio.run(create_admin(settings.database_url.get_secret_value(), args.email, args.name, password))
    except DomainError as exc:
        sys.exit(f"refused: {exc.message}")
    print(f"created admin {args.email.lower()} (id {user_id})")


if __name__ == "__main__":
    main()
