"""asyncpg queries of users, sessions, reset tokens, factories and service accounts."""

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from admin_svc.model import Factory, RefreshTokenUse, ServiceAccount, User, UserExportRow
from voketag.auth import Role
from voketag.db import Connection, Where

Conn = Connection

_USER = """id, email, display_name, role, factory_id, active, token_version, created_at, updated_at,
           last_login_at, deactivated_at, password_hash"""
_FACTORY = "id, name, coalesce(code, '') AS code, country_code, active, created_at, updated_at"
_ACCOUNT = """id, name, factory_id, client_id, description, secret_hint, token_version, created_at, revoked_at,
              last_used_at, secret_hash"""


def _user(row: asyncpg.Record | None) -> User | None:
    return None if row is None else User(**{**dict(row), "role": Role(row["role"])})


def _factory(row: asyncpg.Record | None) -> Factory | None:
    return None if row is None else Factory(**dict(row))


def _account(row: asyncpg.Record | None) -> ServiceAccount | None:
    return None if row is None else ServiceAccount(**dict(row))


# ---- users ------------------------------------------------------------------------------------------------


async def user_by_email(conn: Conn, email: str) -> User | None:
    return _user(await conn.fetchrow(f"SELECT {_USER} FROM users WHERE email = $1", email))


async def user_by_id(conn: Conn, user_id: uuid.UUID, lock: bool = False) -> User | None:
    suffix = " FOR UPDATE" if lock else ""
    return _user(await conn.fetchrow(f"SELECT {_USER} FROM users WHERE id = $1{suffix}", user_id))


async def earlier_request(conn: Conn, table: str, request_id: str) -> tuple[uuid.UUID, str] | None:
    """(id, request hash) of the row an earlier create with this request id made."""
    row = await conn.fetchrow(f"SELECT id, request_hash FROM {table} WHERE request_id = $1", request_id)
    return None if row is None else (row["id"], row["request_hash"])


async def insert_user(conn: Conn, user: User, request_id: str, request_hash: str) -> User:
    row = await conn.fetchrow(
        f"""INSERT INTO users (id, email, display_name, role, factory_id, password_hash, request_id, request_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_USER}""",
        user.id,
        user.email,
        user.display_name,
        user.role.value,
        user.factory_id,
        user.password_hash,
        request_id,
        request_hash,
    )
    return _user(row)  # type: ignore[return-value]


async def update_user(conn: Conn, user_id: uuid.UUID, changes: Mapping[str, Any], bump_version: bool) -> User:
    """Set the given columns (names come from the domain's allow-list, never from callers)."""
    assignments = [f"{column} = ${i}" for i, column in enumerate(changes, start=2)]
    assignments.append("updated_at = now()")
    if bump_version:
        assignments.append("token_version = token_version + 1")
    row = await conn.fetchrow(
        f"UPDATE users SET {', '.join(assignments)} WHERE id = $1 RETURNING {_USER}", user_id, *changes.values()
    )
    return _user(row)  # type: ignore[return-value]


async def list_users(
    conn: Conn,
    role: Role | None,
    factory_id: uuid.UUID | None,
    active: bool | None,
    email_contains: str,
    after: Sequence[str] | None,
    limit: int,
) -> list[User]:
    conditions, args = ["true"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if role is not None:
        conditions.append(f"role = {arg(role.value)}")
    if factory_id is not None:
        conditions.append(f"factory_id = {arg(factory_id)}")
    if active is not None:
        conditions.append(f"active = {arg(active)}")
    if email_contains:
        escaped = email_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(f"email LIKE {arg('%' + escaped + '%')}")
    if after is not None:
        conditions.append(f"(email, id) > ({arg(after[0])}, {arg(uuid.UUID(after[1]))})")
    rows = await conn.fetch(
        f"SELECT {_USER} FROM users WHERE {' AND '.join(conditions)} ORDER BY email, id LIMIT {arg(limit)}", *args
    )
    return [_user(row) for row in rows]  # type: ignore[misc]


async def touch_login(conn: Conn, user_id: uuid.UUID, new_hash: str | None) -> User:
    row = await conn.fetchrow(
        f"""UPDATE users SET last_login_at = now(), password_hash = coalesce($2, password_hash)
            WHERE id = $1 RETURNING {_USER}""",
        user_id,
        new_hash,
    )
    return _user(row)  # type: ignore[return-value]


# ---- sessions and refresh tokens ------------------------------------------------------------------------


async def create_session(conn: Conn, user_id: uuid.UUID, lifetime: timedelta) -> uuid.UUID:
    session_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + $3)", session_id, user_id, lifetime
    )
    return session_id


async def add_refresh_token(conn: Conn, session_id: uuid.UUID, token_hash: str) -> None:
    await conn.execute("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)", token_hash, session_id)


async def take_refresh_token(conn: Conn, token_hash: str) -> RefreshTokenUse | None:
    """The token with its session and user, locked, and marked used (the returned used_at is the old value)."""
    row = await conn.fetchrow(
        """WITH t AS (SELECT token_hash, session_id, used_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE),
                marked AS (UPDATE refresh_tokens r SET used_at = coalesce(r.used_at, now())
                           FROM t WHERE r.token_hash = t.token_hash)
           SELECT t.used_at, s.id AS session_id, s.user_id, s.ended_at, s.expires_at <= now() AS expired
           FROM t JOIN sessions s ON s.id = t.session_id""",
        token_hash,
    )
    return None if row is None else RefreshTokenUse(**dict(row))


async def end_sessions(
    conn: Conn, user_id: uuid.UUID | None = None, session_ids: Sequence[uuid.UUID] = ()
) -> list[str]:
    """End the open sessions of a user and/or the given sessions; returns the ids ended now."""
    rows = await conn.fetch(
        """UPDATE sessions SET ended_at = now()
           WHERE ended_at IS NULL AND (user_id = $1 OR id = ANY($2::uuid[])) RETURNING id""",
        user_id,
        list(session_ids),
    )
    return [str(row["id"]) for row in rows]


async def session_of_refresh_token(conn: Conn, token_hash: str, user_id: uuid.UUID) -> uuid.UUID | None:
    return await conn.fetchval(
        """SELECT s.id FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
           WHERE t.token_hash = $1 AND s.user_id = $2""",
        token_hash,
        user_id,
    )


# ---- password reset tokens ------------------------------------------------------------------------------


async def close_resets(conn: Conn, user_id: uuid.UUID) -> None:
    await conn.execute("UPDATE password_resets SET closed_at = now() WHERE user_id = $1 AND closed_at IS NULL", user_id)


async def add_reset(conn: Conn, user_id: uuid.UUID, token_hash: str, lifetime: timedelta) -> datetime:
    return await conn.fetchval(
        """INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, now() + $3)
           RETURNING expires_at""",
        token_hash,
        user_id,
        lifetime,
    )


async def take_reset(conn: Conn, token_hash: str) -> uuid.UUID | None:
    """Consume an open, unexpired reset token; the user it was for, or None."""
    return await conn.fetchval(
        """UPDATE password_resets SET closed_at = now()
           WHERE token_hash = $1 AND closed_at IS NULL AND expires_at > now() RETURNING user_id""",
        token_hash,
    )


# ---- factories ------------------------------------------------------------------------------------------


async def insert_factory(conn: Conn, factory: Factory, request_id: str, request_hash: str) -> Factory:
    row = await conn.fetchrow(
        f"""INSERT INTO factories (id, name, code, country_code, request_id, request_hash)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_FACTORY}""",
        factory.id,
        factory.name,
        factory.code,
        factory.country_code,
        request_id,
        request_hash,
    )
    return _factory(row)  # type: ignore[return-value]


async def factory_by_id(conn: Conn, factory_id: uuid.UUID) -> Factory | None:
    return _factory(await conn.fetchrow(f"SELECT {_FACTORY} FROM factories WHERE id = $1", factory_id))


async def list_factories(conn: Conn, after: Sequence[str] | None, limit: int) -> list[Factory]:
    if after is None:
        rows = await conn.fetch(f"SELECT {_FACTORY} FROM factories ORDER BY name, id LIMIT $1", limit)
    else:
        rows = await conn.fetch(
            f"SELECT {_FACTORY} FROM factories WHERE (name, id) > ($1, $2) ORDER BY name, id LIMIT $3",
            after[0],
            uuid.UUID(after[1]),
            limit,
        )
    return [_factory(row) for row in rows]  # type: ignore[misc]


# ---- service accounts -----------------------------------------------------------------------------------


async def insert_account(conn: Conn, account: ServiceAccount, request_id: str, request_hash: str) -> ServiceAccount:
    row = await conn.fetchrow(
        f"""INSERT INTO service_accounts (id, name, factory_id, client_id, secret_hash, secret_hint, description,
                                          request_id, request_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_ACCOUNT}""",
        account.id,
        account.name,
        account.factory_id,
        account.client_id,
        account.secret_hash,
        account.secret_hint,
        account.description,
        request_id,
        request_hash,
    )
    return _account(row)  # type: ignore[return-value]


async def account_by_id(conn: Conn, account_id: uuid.UUID) -> ServiceAccount | None:
    return _account(await conn.fetchrow(f"SELECT {_ACCOUNT} FROM service_accounts WHERE id = $1", account_id))


async def account_by_client_id(conn: Conn, client_id: str) -> ServiceAccount | None:
    return _account(await conn.fetchrow(f"SELECT {_ACCOUNT} FROM service_accounts WHERE client_id = $1", client_id))


async def list_accounts(
    conn: Conn, factory_id: uuid.UUID | None, include_revoked: bool, after: Sequence[str] | None, limit: int
) -> list[ServiceAccount]:
    rows = await conn.fetch(
        f"""SELECT {_ACCOUNT} FROM service_accounts
            WHERE ($1::uuid IS NULL OR factory_id = $1) AND ($2 OR revoked_at IS NULL)
              AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
            ORDER BY created_at DESC, id DESC LIMIT $5""",
        factory_id,
        include_revoked,
        datetime.fromisoformat(after[0]) if after else None,
        uuid.UUID(after[1]) if after else None,
        limit,
    )
    return [_account(row) for row in rows]  # type: ignore[misc]


async def revoke_account(conn: Conn, account_id: uuid.UUID) -> ServiceAccount | None:
    row = await conn.fetchrow(
        f"""UPDATE service_accounts SET revoked_at = now(), token_version = token_version + 1
            WHERE id = $1 AND revoked_at IS NULL RETURNING {_ACCOUNT}""",
        account_id,
    )
    return _account(row)


async def touch_account(conn: Conn, account_id: uuid.UUID) -> None:
    await conn.execute("UPDATE service_accounts SET last_used_at = now() WHERE id = $1", account_id)


# ---- revocation mirror ----------------------------------------------------------------------------------


async def recent_revocations(conn: Conn, horizon: timedelta) -> tuple[dict[str, int], list[str]]:
    """Versions of subjects changed, and sessions ended, within the horizon (the longest token lifetime)."""
    versions = await conn.fetch(
        """SELECT id::text, token_version FROM users WHERE updated_at > now() - $1::interval
           UNION ALL SELECT id::text, token_version FROM service_accounts WHERE revoked_at > now() - $1::interval""",
        horizon,
    )
    sessions = await conn.fetch("SELECT id::text FROM sessions WHERE ended_at > now() - $1::interval", horizon)
    return {row[0]: row[1] for row in versions}, [row[0] for row in sessions]


async def factory_code_taken(conn: Conn, code: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM factories WHERE code = $1", code))


async def insert_first_admin(conn: Conn, user_id: uuid.UUID, email: str, name: str, password_hash: str) -> bool:
    """The bootstrap admin; False when a user with this email exists."""
    inserted = await conn.fetchval(
        """INSERT INTO users (id, email, display_name, role, password_hash) VALUES ($1, $2, $3, 'admin', $4)
           ON CONFLICT (email) DO NOTHING RETURNING id""",
        user_id,
        email,
        name,
        password_hash,
    )
    return inserted is not None


async def user_export_rows(
    conn: Conn, role: str, factory_id: uuid.UUID | None, active: bool | None
) -> AsyncIterator[UserExportRow]:
    """Users in email order for the CSV export (call inside a transaction)."""
    where = Where()
    where.add("role = {}", role)
    where.add("factory_id = {}", factory_id)
    where.add("active = {}", active)
    # Roles are spelled as the API spells them (ROLE_AUDITOR), not as stored (auditor).
    selected = ", ".join("'ROLE_' || upper(role)" if c == "role" else c for c in UserExportRow._fields)
    query = f"SELECT {selected} FROM users WHERE {where.sql} ORDER BY email, id"
    async for row in conn.cursor(query, *where.args, prefetch=2000):
        yield UserExportRow(*row)
