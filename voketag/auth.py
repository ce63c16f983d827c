"""One authorization layer for the mesh: JWT verification and per-RPC role policies.

Every RPC handler declares who may call it with ``@allow(...)`` or ``@public`` right above its
definition; the server refuses to start when a method of a registered service has no declaration.
"""

import contextlib
import contextvars
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import jwt
import redis.asyncio as redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from voketag.errors import PermissionDenied, Unauthenticated, Unavailable

# RFC 8725: one pinned algorithm; a token naming any other (including "none") is refused.
ALGORITHM = "EdDSA"
# RFC 9068 access-token type, so an ID or refresh token cannot be replayed as an access token.
ACCESS_TOKEN_TYPE = "at+jwt"
# Seconds of clock skew tolerated on exp/nbf/iat.
LEEWAY_S = 30


class Role(StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"
    OPERATOR = "operator"
    SERVICE_ACCOUNT = "service_account"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    # Operators and service accounts act for exactly one factory; admins and auditors for none.
    factory_id: str | None
    token_id: str
    # Login session the token belongs to (None for service-account and hand-minted tokens).
    session_id: str | None = None
    # Credential version of the subject when the token was issued; revocation raises it.
    version: int = 0


@dataclass(frozen=True)
class Policy:
    public: bool
    roles: frozenset[Role]

    def admits(self, principal: Principal | None) -> bool:
        return self.public or (principal is not None and principal.role in self.roles)


POLICY_ATTR = "__voketag_policy__"
PUBLIC = Policy(public=True, roles=frozenset())
Handler = TypeVar("Handler", bound=Callable[..., Any])

_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def allow(*roles: Role) -> Callable[[Handler], Handler]:
    """Declare the roles that may call the decorated RPC handler."""
    if not roles:
        raise ValueError("allow() needs at least one role; use @public for anonymous RPCs")

    def declare(handler: Handler) -> Handler:
        setattr(handler, POLICY_ATTR, Policy(public=False, roles=frozenset(roles)))
        return handler

    return declare


def public(handler: Handler) -> Handler:
    """Declare the decorated RPC handler callable without credentials."""
    setattr(handler, POLICY_ATTR, PUBLIC)
    return handler


def policy_of(handler: Callable[..., Any]) -> Policy | None:
    return getattr(handler, POLICY_ATTR, None)


def current_principal() -> Principal | None:
    """The authenticated caller of the RPC being handled (None for anonymous calls to public RPCs)."""
    return _principal.get()


@contextlib.contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Make ``principal`` the current caller for the duration of one RPC."""
    token = _principal.set(principal)
    try:
        yield
    finally:
        _principal.reset(token)


class TokenVerifier:
    def __init__(self, public_keys: Mapping[str, str], issuer: str, audience: str) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for kid, pem in public_keys.items():
            key = serialization.load_pem_public_key(pem.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"auth key {kid!r} is not an Ed25519 public key")
            self._keys[kid] = key
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("TOKEN_MALFORMED", "the bearer token is not a JWT") from exc
        if header.get("alg") != ALGORITHM or header.get("typ") != ACCESS_TOKEN_TYPE:
            raise Unauthenticated("TOKEN_REJECTED", "the bearer token has the wrong algorithm or type")
        key = self._keys.get(str(header.get("kid")))
        if key is None:
            raise Unauthenticated("TOKEN_KEY_UNKNOWN", "the bearer token was signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("ACCESS_TOKEN_EXPIRED", "the bearer token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("TOKEN_INVALID", "the bearer token is not valid") from exc
        try:
            role = Role(claims.get("role", ""))
        except ValueError as exc:
            raise Unauthenticated("TOKEN_INVALID", "the bearer token carries no known role") from exc
        factory_id = claims.get("factory_id")
        if role in (Role.OPERATOR, Role.SERVICE_ACCOUNT) and not factory_id:
            raise Unauthenticated("TOKEN_INVALID", "a factory-scoped token must name its factory")
        version = claims.get("ver", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise Unauthenticated("TOKEN_INVALID", "the bearer token carries a malformed version")
        return Principal(
            subject=claims["sub"],
            role=role,
            factory_id=factory_id,
            token_id=claims["jti"],
            session_id=claims.get("sid"),
            version=version,
        )


class TokenSigner:
    """Issues access tokens; the admin service's login uses it, and tests mint tokens with it."""

    def __init__(self, private_key_pem: str, kid: str, issuer: str, audience: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key")
        self._key = key
        self._kid = kid
        self._issuer = issuer
        self._audience = audience

    def mint(
        self,
        subject: str,
        role: Role,
        factory_id: str | None = None,
        ttl_s: int = 900,
        *,
        session_id: str | None = None,
        version: int = 0,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "role": role.value,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            "ver": version,
        }
        if factory_id is not None:
            claims["factory_id"] = factory_id
        if session_id is not None:
            claims["sid"] = session_id
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid, "typ": ACCESS_TOKEN_TYPE})


def generate_keypair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as (private PEM, public PEM), for development meshes and tests."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class Revocations:
    """Access tokens revoked before they expire, shared by every service through Redis.

    The admin service owns the truth in PostgreSQL (users.token_version, service_accounts, sessions) and
    mirrors it here: ``auth:ver:<subject>`` holds the subject's current credential version (tokens that
    carry a lower ``ver`` are revoked: deactivation, password reset, service-account revocation) and
    ``auth:sid:<session>`` marks an ended login session (logout, refresh-token reuse). Both keys live as
    long as the longest access token, after which every token they could reject has expired anyway.
    One MGET per authenticated call; if Redis cannot answer the call fails closed with UNAVAILABLE.
    """

    def __init__(self, kv: redis.Redis) -> None:
        self._kv = kv

    @staticmethod
    def version_key(subject: str) -> str:
        return f"auth:ver:{subject}"

    @staticmethod
    def session_key(session_id: str) -> str:
        return f"auth:sid:{session_id}"

    async def check(self, principal: Principal) -> None:
        keys = [self.version_key(principal.subject), self.session_key(principal.session_id or "-")]
        try:
            current, ended = await self._kv.mget(keys)
        except redis.RedisError as exc:
            raise Unavailable("REVOCATION_UNAVAILABLE", "token revocation cannot be checked right now") from exc
        if ended is not None or (current is not None and principal.version < int(current)):
            raise Unauthenticated("TOKEN_REVOKED", "the bearer token has been revoked")

    async def publish(self, versions: Mapping[str, int], sessions: Iterable[str], ttl_s: int) -> None:
        """Mirror revocations from PostgreSQL; a version only ever moves up."""
        async with self._kv.pipeline(transaction=False) as pipe:
            for subject, version in versions.items():
                pipe.eval(_RAISE_VERSION, 1, self.version_key(subject), version, ttl_s)
            for session_id in sessions:
                pipe.set(self.session_key(session_id), 1, ex=ttl_s)
            await pipe.execute()


# Keep the higher of the stored and the new version, and refresh the key's lifetime.
_RAISE_VERSION = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def authorize(policy: Policy, principal: Principal | None) -> None:
    """Raise the right error when a caller may not call an RPC with this policy."""
    if policy.admits(principal):
        return
    if principal is None:
        raise Unauthenticated("CREDENTIALS_MISSING", "this RPC needs a bearer token")
    raise PermissionDenied("ROLE_FORBIDDEN", f"role {principal.role.value!r} may not call this RPC")


# Role groups the services' policies are written with.
STAFF = (Role.ADMIN, Role.AUDITOR)
FACTORY_WRITERS = (Role.ADMIN, Role.OPERATOR, Role.SERVICE_ACCOUNT)
SIGNED_IN = tuple(Role)
