"""Token verification and policy declaration, without a network."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from voketag.auth import (
    PUBLIC,
    Role,
    TokenSigner,
    TokenVerifier,
    allow,
    authorize,
    generate_keypair,
    policy_of,
    public,
)
from voketag.errors import PermissionDenied, Unauthenticated

PRIVATE, PUBLIC_PEM = generate_keypair()
OTHER_PRIVATE, _ = generate_keypair()


def verifier() -> TokenVerifier:
    return TokenVerifier({"k1": PUBLIC_PEM}, "voketag", "voketag-api")


def signer(kid: str = "k1", audience: str = "voketag-api", key: str = PRIVATE) -> TokenSigner:
    return TokenSigner(key, kid, "voketag", audience)


def reason_of(token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verifier().verify(token)
    return caught.value.reason


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_gives_principal() -> None:
    principal = verifier().verify(signer().mint("u1", Role.OPERATOR, factory_id="f1"))
    assert (principal.subject, principal.role, principal.factory_id) == ("u1", Role.OPERATOR, "f1")


def test_expired_token() -> None:
    assert reason_of(signer().mint("u1", Role.ADMIN, ttl_s=-120)) == "ACCESS_TOKEN_EXPIRED"


def test_wrong_audience() -> None:
    assert reason_of(signer(audience="someone-else").mint("u1", Role.ADMIN)) == "TOKEN_INVALID"


def test_unknown_key_id() -> None:
    assert reason_of(signer(kid="k9").mint("u1", Role.ADMIN)) == "TOKEN_KEY_UNKNOWN"


def test_forged_signature() -> None:
    assert reason_of(signer(key=OTHER_PRIVATE).mint("u1", Role.ADMIN)) == "TOKEN_INVALID"


def test_alg_none_is_refused() -> None:
    now = int(time.time())
    claims = {"iss": "voketag", "aud": "voketag-api", "sub": "u1", "role": "admin", "iat": now, "nbf": now}
    token = f"{b64({'alg': 'none', 'typ': 'at+jwt', 'kid': 'k1'})}.{b64({**claims, 'exp': now + 60, 'jti': 'x'})}."
    assert reason_of(token) == "TOKEN_REJECTED"


def test_hmac_with_public_key_is_refused() -> None:
    now = int(time.time())
    claims = {"iss": "voketag", "aud": "voketag-api", "sub": "u1", "role": "admin", "iat": now, "nbf": now}
    signing_input = (
        f"{b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': 'k1'})}.{b64({**claims, 'exp': now + 60, 'jti': 'x'})}"
    )
    tag = hmac.new(PUBLIC_PEM.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(tag).rstrip(b'=').decode()}"
    assert reason_of(token) == "TOKEN_REJECTED"


def test_operator_without_factory_is_refused() -> None:
    assert reason_of(signer().mint("u1", Role.OPERATOR)) == "TOKEN_INVALID"


def test_garbage_is_refused() -> None:
    assert reason_of("not-a-jwt") == "TOKEN_MALFORMED"


def test_policy_declarations() -> None:
    @allow(Role.ADMIN, Role.AUDITOR)
    async def read() -> None: ...

    @public
    async def anyone() -> None: ...

    async def undeclared() -> None: ...

    assert policy_of(read).roles == {Role.ADMIN, Role.AUDITOR}
    assert policy_of(anyone) is PUBLIC
    assert policy_of(undeclared) is None
    with pytest.raises(ValueError):
        allow()


def test_authorize_distinguishes_anonymous_from_forbidden() -> None:
    policy = policy_of(allow(Role.ADMIN)(lambda: None))
    assert policy is not None
    with pytest.raises(Unauthenticated):
        authorize(policy, None)
    auditor = verifier().verify(signer().mint("u2", Role.AUDITOR))
    with pytest.raises(PermissionDenied):
        authorize(policy, auditor)
    authorize(policy, verifier().verify(signer().mint("u3", Role.ADMIN)))
