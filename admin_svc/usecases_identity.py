"""Identity: login, sessions, password resets, users, factories and service accounts.

Every change runs in one transaction that ends with its audit entry; revocations it causes are mirrored
into Redis after the commit (voketag.auth.Revocations), and a periodic resync repairs a lost mirror write.
"""

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import redis.asyncio as redis

from admin_svc import storage_identity as store
from admin_svc.domain import invalid
from admin_svc.model import Factory, Revoked, ServiceAccount, Tokens, User
from admin_svc.secrets import Passwords, digest, new_secret, same
from admin_svc.throttle import LoginThrottle, client_host
from voketag import audit
from voketag.auth import Principal, Revocations, Role, TokenSigner, acting_as
from voketag.db import Connection
from voketag.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Unauthenticated
from voketag.idempotency import replay
from voketag.ids import request_hash
from voketag.limits import LIMITS
from voketag.paging import Page, T, decode_token, page_size, paginate, text

_DISPLAY_NAME = LIMITS["voketag.admin.v1.CreateUserRequest.display_name"].bounds()
_ACCOUNT_NAME = LIMITS["voketag.admin.v1.CreateServiceAccountRequest.name"].bounds()
_ACCOUNT_DESCRIPTION = LIMITS["voketag.admin.v1.CreateServiceAccountRequest.description"].bounds()
_FACTORY_NAME = LIMITS["voketag.admin.v1.CreateFactoryRequest.name"].bounds()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_CODE = re.compile(r"^[A-Z0-9-]{2,16}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
USER_ROLES = (Role.ADMIN, Role.AUDITOR, Role.OPERATOR)
UPDATABLE = ("email", "display_name", "role", "factory_id", "active")


def check_email(email: str) -> str:
    email = email.strip().lower()
    if not (3 <= len(email) <= 254 and _EMAIL.fullmatch(email)):
        raise invalid("email", "an email address of 3..254 chars")
    return email


def check_text(value: str, field: str, low: int, high: int) -> str:
    if not low <= len(value) <= high:
        raise invalid(field, f"{low}..{high} chars")
    return value


def check_password(password: str, field: str = "password") -> str:
    return check_text(password, field, 12, 128)


def check_role_scope(role: Role, factory_id: uuid.UUID | None) -> None:
    if role not in USER_ROLES:
        raise invalid("role", "ROLE_ADMIN, ROLE_AUDITOR or ROLE_OPERATOR")
    if (role == Role.OPERATOR) != (factory_id is not None):
        raise invalid("factory_id", "required for ROLE_OPERATOR, empty for other roles")


@dataclass(frozen=True)
class Lifetimes:
    access_s: int
    service_s: int
    refresh_s: int
    reset_s: int

    @property
    def longest_access_s(self) -> int:
        # Plus the verifier's clock-skew leeway: a revocation must outlive every token it can reject.
        return max(self.access_s, self.service_s) + 60


class Identity:
    def __init__(
        self,
        pool: asyncpg.Pool,
        kv: redis.Redis,
        signer: TokenSigner,
        passwords: Passwords,
        throttle: LoginThrottle,
        lifetimes: Lifetimes,
    ) -> None:
        self._pool = pool
        self._signer = signer
        self._passwords = passwords
        self._throttle = throttle
        self._lifetimes = lifetimes
        self._revocations = Revocations(kv)

    # ---- tokens ---------------------------------------------------------------------------------------

    async def _issue(self, conn: Connection, user: User, session_id: uuid.UUID) -> tuple[str, str]:
        refresh = new_secret()
        await store.add_refresh_token(conn, session_id, digest(refresh))
        access = self._signer.mint(
            str(user.id),
            user.role,
            str(user.factory_id) if user.factory_id else None,
            self._lifetimes.access_s,
            session_id=str(session_id),
            version=user.token_version,
        )
        return access, refresh

    def _tokens(self, access: str, refresh: str, user: User) -> Tokens:
        return Tokens(access, refresh, self._lifetimes.access_s, self._lifetimes.refresh_s, user)

    async def login(self, email: str, password: str, address: str) -> Tokens:
        email = email.strip().lower()
        if not 3 <= len(email) <= 254:
            raise invalid("email", "3..254 chars")
        check_text(password, "password", 1, 128)
        await self._throttle.check_login(email, address)
        async with self._pool.acquire() as conn:
            user = await store.user_by_email(conn, email)
        stored = user.password_hash if user else None
        if not await self._passwords.verify(stored, password) or user is None or not user.active:
            await self._throttle.login_failed(email, address)
            reason = "unknown account" if user is None else ("deactivated" if not user.active else "wrong password")
            await self._record_failure("user", str(user.id) if user else "", reason, address)
            raise Unauthenticated("INVALID_CREDENTIALS", "wrong email or password")
        await self._throttle.login_succeeded(email, address)
        rehashed = await self._passwords.hash(password) if self._passwords.needs_rehash(stored or "") else None
        async with self._pool.acquire() as conn, conn.transaction():
            user = await store.touch_login(conn, user.id, rehashed)
            session_id = await store.create_session(conn, user.id, timedelta(seconds=self._lifetimes.refresh_s))
            access, refresh = await self._issue(conn, user, session_id)
            with acting_as(_principal_of(user)):
                await audit.record(conn, "session", str(session_id), {"user_id": str(user.id)})
        return self._tokens(access, refresh, user)

    async def _record_failure(self, object_type: str, object_id: str, reason: str, address: str) -> None:
        """Audit a refused sign-in: who was tried (never what was typed: an unknown email may be a password
        typed in the wrong field) and from where (staff sign-ins are not consumer traffic)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await audit.record(
                conn,
                object_type,
                object_id,
                {"event": "sign-in failed", "reason": reason, "address": client_host(address)},
            )

    async def refresh(self, refresh_token: str) -> Tokens:
        if not 1 <= len(refresh_token) <= 128:
            raise invalid("refresh_token", "the refresh token from Login or RefreshToken")
        async with self._pool.acquire() as conn, conn.transaction():
            found = await store.take_refresh_token(conn, digest(refresh_token))
            if found is None or found.ended_at is not None or found.expired:
                raise Unauthenticated("REFRESH_TOKEN_INVALID", "the refresh token is unknown, expired or revoked")
            user = await store.user_by_id(conn, found.user_id)
            reused = found.used_at is not None
            if reused or user is None or not user.active:
                # A used token presented again means it leaked: end the whole session (RFC 9700 4.14.2).
                ended = await store.end_sessions(conn, session_ids=[found.session_id])
                if user is not None:
                    with acting_as(_principal_of(user)):
                        await audit.record(conn, "session", str(found.session_id), {"reason": "refresh reuse"})
                tokens = None
            else:
                access, refresh = await self._issue(conn, user, found.session_id)
                tokens = self._tokens(access, refresh, user)
        if tokens is None:
            await self._publish(Revoked({}, ended))
            raise Unauthenticated("REFRESH_TOKEN_INVALID", "the refresh token is unknown, expired or revoked")
        return tokens

    async def logout(self, principal: Principal, refresh_token: str, all_sessions: bool) -> None:
        user_id = uuid.UUID(principal.subject) if _is_uuid(principal.subject) else None
        async with self._pool.acquire() as conn, conn.transaction():
            targets = [uuid.UUID(principal.session_id)] if principal.session_id else []
            if refresh_token and user_id is not None:
                own = await store.session_of_refresh_token(conn, digest(refresh_token), user_id)
                targets += [own] if own else []
            ended = await store.end_sessions(conn, user_id if all_sessions else None, targets)
            if ended:
                await audit.record(conn, "session", ",".join(ended)[:128], {"all_sessions": str(all_sessions)})
        await self._publish(Revoked({}, ended))

    async def service_token(self, client_id: str, client_secret: str, address: str) -> tuple[str, int]:
        check_text(client_id, "client_id", 1, 64)
        check_text(client_secret, "client_secret", 1, 128)
        async with self._pool.acquire() as conn:
            account = await store.account_by_client_id(conn, client_id)
        expected = account.secret_hash if account else digest(secrets.token_urlsafe(32))
        if not same(digest(client_secret), expected) or account is None or not account.active:
            await self._throttle.exchange_failed(address)
            reason = "unknown client id" if account is None else ("revoked" if not account.active else "wrong secret")
            await self._record_failure("service_account", str(account.id) if account else "", reason, address)
            raise Unauthenticated("INVALID_CREDENTIALS", "wrong client id or secret")
        await self._throttle.exchange_admitted(client_id)
        async with self._pool.acquire() as conn, conn.transaction():
            await store.touch_account(conn, account.id)
            principal = Principal(str(account.id), Role.SERVICE_ACCOUNT, str(account.factory_id), "")
            with acting_as(principal):
                await audit.record(conn, "service_account", str(account.id), {"event": "token issued"})
        token = self._signer.mint(
            str(account.id),
            Role.SERVICE_ACCOUNT,
            str(account.factory_id),
            self._lifetimes.service_s,
            version=account.token_version,
        )
        return token, self._lifetimes.service_s

    async def complete_reset(self, reset_token: str, new_password: str) -> uuid.UUID:
        check_text(reset_token, "reset_token", 1, 128)
        check_password(new_password, "new_password")
        password_hash = await self._passwords.hash(new_password)
        async with self._pool.acquire() as conn, conn.transaction():
            user_id = await store.take_reset(conn, digest(reset_token))
            user = await store.user_by_id(conn, user_id, lock=True) if user_id else None
            if user is None or not user.active:
                raise InvalidArgument(
                    "RESET_TOKEN_INVALID",
                    "the reset token is unknown, already used or expired",
                    fields={"reset_token": "unknown, already used or expired"},
                )
            await store.close_resets(conn, user.id)
            user = await store.update_user(conn, user.id, {"password_hash": password_hash}, bump_version=True)
            ended = await store.end_sessions(conn, user.id)
            with acting_as(_principal_of(user)):
                await audit.record(conn, "user", str(user.id), {"event": "password reset completed"})
        await self._publish(Revoked({str(user.id): user.token_version}, ended))
        return user.id

    # ---- users ----------------------------------------------------------------------------------------

    async def list_users(
        self,
        size: int,
        token: str,
        role: Role | None,
        factory_id: uuid.UUID | None,
        active: bool | None,
        email_contains: str,
    ) -> Page[User]:
        check_text(email_contains, "email_contains", 0, 254)
        limit = page_size(size)
        filters = {"role": role, "factory_id": factory_id, "active": active, "email": email_contains.lower()}
        after = decode_token(token, filters, (text, uuid.UUID))
        async with self._pool.acquire() as conn:
            users = await store.list_users(conn, role, factory_id, active, email_contains, after, limit + 1)
        return paginate(users, limit, lambda u: [u.email, str(u.id)], filters)

    async def get_user(self, user_id: uuid.UUID) -> User:
        async with self._pool.acquire() as conn:
            return _found(await store.user_by_id(conn, user_id), "user")

    async def create_user(
        self,
        request_id: str,
        email: str,
        display_name: str,
        role: Role,
        factory_id: uuid.UUID | None,
        password: str,
    ) -> tuple[User, str, datetime | None]:
        email = check_email(email)
        check_text(display_name, "display_name", *_DISPLAY_NAME)
        check_role_scope(role, factory_id)
        if password:
            check_password(password)
        fingerprint = request_hash(
            {"email": email, "name": display_name, "role": role, "factory": factory_id, "pw": bool(password)}
        )
        password_hash = await self._passwords.hash(password) if password else None
        async with self._pool.acquire() as conn, conn.transaction():
            earlier = await _replay(conn, "users", request_id, fingerprint)
            if earlier is not None:
                return _found(await store.user_by_id(conn, earlier), "user"), "", None
            await _check_factory(conn, factory_id)
            if await store.user_by_email(conn, email) is not None:
                raise AlreadyExists("EMAIL_TAKEN", "a user with this email exists", fields={"email": "taken"})
            now = datetime.now(UTC)
            draft = User(uuid.uuid4(), email, display_name, role, factory_id, True, 1, now, now, None, None)
            user = await store.insert_user(conn, replace(draft, password_hash=password_hash), request_id, fingerprint)
            reset, expires = ("", None) if password else await self._new_reset(conn, user.id)
            await audit.record(conn, "user", str(user.id), {"role": role.value, "factory_id": str(factory_id or "")})
        return user, reset, expires

    async def update_user(self, actor: Principal, user_id: uuid.UUID, paths: Sequence[str], values: User) -> User:
        if not paths:
            raise invalid("update_mask", "name at least one of " + ", ".join(UPDATABLE))
        unknown = sorted(set(paths) - set(UPDATABLE))
        if unknown:
            raise invalid("update_mask", f"cannot update {', '.join(unknown)}")
        changes: dict[str, Any] = {}
        if "email" in paths:
            changes["email"] = check_email(values.email)
        if "display_name" in paths:
            changes["display_name"] = check_text(values.display_name, "user.display_name", *_DISPLAY_NAME)
        if "role" in paths:
            if values.role not in USER_ROLES:
                raise invalid("user.role", "ROLE_ADMIN, ROLE_AUDITOR or ROLE_OPERATOR")
            changes["role"] = values.role.value
        if "factory_id" in paths:
            changes["factory_id"] = values.factory_id
        if "active" in paths:
            if not values.active and actor.subject == str(user_id):
                raise FailedPrecondition("SELF_DEACTIVATION", "you cannot deactivate yourself")
            changes["active"] = values.active
        async with self._pool.acquire() as conn, conn.transaction():
            current = _found(await store.user_by_id(conn, user_id, lock=True), "user")
            role = Role(changes.get("role", current.role))
            check_role_scope(role, changes.get("factory_id", current.factory_id))
            await _check_factory(conn, changes.get("factory_id"))
            email = changes.get("email", current.email)
            if email != current.email and await store.user_by_email(conn, email) is not None:
                raise AlreadyExists("EMAIL_TAKEN", "a user with this email exists", fields={"email": "taken"})
            if "active" in changes and changes["active"] != current.active:
                changes["deactivated_at"] = None if changes["active"] else datetime.now(UTC)
            # Tokens carry role and factory: a changed scope or a deactivation revokes the old ones.
            revoke = (
                role != current.role
                or changes.get("factory_id", current.factory_id) != current.factory_id
                or changes.get("active", current.active) is False
            )
            user = await store.update_user(conn, user_id, changes, bump_version=revoke)
            ended = await store.end_sessions(conn, user_id) if not user.active else []
            await audit.record(conn, "user", str(user_id), _changes(paths, current, user))
        if revoke:
            await self._publish(Revoked({str(user.id): user.token_version}, ended))
        return user

    async def delete_user(self, actor: Principal, user_id: uuid.UUID) -> User:
        if actor.subject == str(user_id):
            raise FailedPrecondition("SELF_DEACTIVATION", "you cannot delete yourself")
        current = await self.get_user(user_id)
        if not current.active:
            return current
        return await self.update_user(actor, user_id, ["active"], replace(current, active=False))

    async def reset_password(self, user_id: uuid.UUID) -> tuple[str, datetime]:
        async with self._pool.acquire() as conn, conn.transaction():
            user = _found(await store.user_by_id(conn, user_id, lock=True), "user")
            token, expires = await self._new_reset(conn, user.id)
            user = await store.update_user(conn, user.id, {}, bump_version=True)
            ended = await store.end_sessions(conn, user.id)
            await audit.record(conn, "user", str(user.id), {"event": "password reset issued"})
        await self._publish(Revoked({str(user.id): user.token_version}, ended))
        return token, expires

    async def _new_reset(self, conn: Connection, user_id: uuid.UUID) -> tuple[str, datetime]:
        await store.close_resets(conn, user_id)
        token = new_secret()
        expires = await store.add_reset(conn, user_id, digest(token), timedelta(seconds=self._lifetimes.reset_s))
        return token, expires

    # ---- factories ------------------------------------------------------------------------------------

    async def create_factory(self, request_id: str, name: str, code: str, country_code: str) -> Factory:
        check_text(name, "name", *_FACTORY_NAME)
        if not _CODE.fullmatch(code):
            raise invalid("code", "2..16 chars of A-Z, 0-9 and -")
        if country_code and not _COUNTRY.fullmatch(country_code):
            raise invalid("country_code", "ISO 3166-1 alpha-2, uppercase")
        fingerprint = request_hash({"name": name, "code": code, "country": country_code})
        async with self._pool.acquire() as conn, conn.transaction():
            earlier = await _replay(conn, "factories", request_id, fingerprint)
            if earlier is not None:
                return _found(await store.factory_by_id(conn, earlier), "factory")
            if await store.factory_code_taken(conn, code):
                raise AlreadyExists("CODE_TAKEN", "a factory with this code exists", fields={"code": "taken"})
            now = datetime.now(UTC)
            draft = Factory(uuid.uuid4(), name, code, country_code, True, now, now)
            factory = await store.insert_factory(conn, draft, request_id, fingerprint)
            await audit.record(conn, "factory", str(factory.id), {"code": code})
        return factory

    async def list_factories(self, size: int, token: str) -> Page[Factory]:
        limit = page_size(size)
        after = decode_token(token, {}, (text, uuid.UUID))
        async with self._pool.acquire() as conn:
            factories = await store.list_factories(conn, after, limit + 1)
        return paginate(factories, limit, lambda f: [f.name, str(f.id)], {})

    async def get_factory(self, factory_id: uuid.UUID) -> Factory:
        async with self._pool.acquire() as conn:
            return _found(await store.factory_by_id(conn, factory_id), "factory")

    # ---- service accounts -----------------------------------------------------------------------------

    async def create_account(
        self, request_id: str, name: str, factory_id: uuid.UUID, description: str
    ) -> tuple[ServiceAccount, str]:
        check_text(name, "name", *_ACCOUNT_NAME)
        check_text(description, "description", *_ACCOUNT_DESCRIPTION)
        fingerprint = request_hash({"name": name, "factory": factory_id, "description": description})
        async with self._pool.acquire() as conn, conn.transaction():
            earlier = await _replay(conn, "service_accounts", request_id, fingerprint)
            if earlier is not None:
                return _found(await store.account_by_id(conn, earlier), "service account"), ""
            await _check_factory(conn, factory_id)
            secret = new_secret()
            now = datetime.now(UTC)
            draft = ServiceAccount(
                uuid.uuid4(), name, factory_id, f"sa_{secrets.token_hex(12)}", description, secret[-4:], 1, now,
                None, None, digest(secret),
            )  # fmt: skip
            account = await store.insert_account(conn, draft, request_id, fingerprint)
            await audit.record(conn, "service_account", str(account.id), {"factory_id": str(factory_id)})
        return account, secret

    async def list_accounts(
        self, size: int, token: str, factory_id: uuid.UUID | None, include_revoked: bool
    ) -> Page[ServiceAccount]:
        limit = page_size(size)
        filters = {"factory_id": factory_id, "revoked": include_revoked}
        after = decode_token(token, filters, (datetime.fromisoformat, uuid.UUID))
        async with self._pool.acquire() as conn:
            accounts = await store.list_accounts(conn, factory_id, include_revoked, after, limit + 1)
        return paginate(accounts, limit, lambda a: [a.created_at.isoformat(), str(a.id)], filters)

    async def revoke_account(self, account_id: uuid.UUID) -> ServiceAccount:
        async with self._pool.acquire() as conn, conn.transaction():
            account = await store.revoke_account(conn, account_id)
            if account is None:
                return _found(await store.account_by_id(conn, account_id), "service account")
            await audit.record(conn, "service_account", str(account.id), {"event": "revoked"})
        await self._publish(Revoked({str(account.id): account.token_version}, []))
        return account

    # ---- revocation mirror ----------------------------------------------------------------------------

    async def _publish(self, revoked: Revoked) -> None:
        if revoked.versions or revoked.sessions:
            await self._revocations.publish(revoked.versions, revoked.sessions, self._lifetimes.longest_access_s)

    async def resync(self) -> None:
        """Copy every revocation that can still matter from PostgreSQL into Redis (after a Redis data loss)."""
        horizon = timedelta(seconds=self._lifetimes.longest_access_s)
        async with self._pool.acquire() as conn:
            versions, sessions = await store.recent_revocations(conn, horizon)
        await self._publish(Revoked(versions, sessions))


# Security-relevant fields: their old and new values go into the audit entry of UpdateUser / DeleteUser.
_AUDITED_VALUES = {
    "role": lambda u: u.role.value,
    "factory_id": lambda u: str(u.factory_id or ""),
    "active": lambda u: "true" if u.active else "false",
}


def _changes(paths: Sequence[str], before: User, after: User) -> dict[str, str]:
    details = {"fields": ",".join(sorted(set(paths)))}
    for name, value in _AUDITED_VALUES.items():
        if name in paths or value(before) != value(after):
            details[f"{name}.old"], details[f"{name}.new"] = value(before), value(after)
    return details


def _principal_of(user: User) -> Principal:
    return Principal(str(user.id), user.role, str(user.factory_id) if user.factory_id else None, "")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _found(item: T | None, what: str) -> T:
    if item is None:
        raise NotFound("NOT_FOUND", f"no such {what}")
    return item


async def _replay(conn: Connection, table: str, request_id: str, fingerprint: str) -> uuid.UUID | None:
    """The id an earlier create with this request id made; a different request under the same id is refused."""
    earlier = await store.earlier_request(conn, table, request_id)
    if earlier is None:
        return None
    return replay(table.removesuffix("s").replace("_", " "), earlier[0], earlier[1], fingerprint)


async def _check_factory(conn: Connection, factory_id: uuid.UUID | None) -> None:
    if factory_id is not None and await store.factory_by_id(conn, factory_id) is None:
        raise invalid("factory_id", "no such factory")
