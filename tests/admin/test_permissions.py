"""The permission matrix: every RPC of every service, through Envoy, as seven kinds of caller.

Expected answers come from the policy each servicer declares next to its handler (voketag.auth):
  public RPC                      -> every caller passes authorization (tokens are not even read)
  anonymous / expired / wrong aud / alg "none" on a protected RPC -> 401 UNAUTHENTICATED
  a role outside the policy       -> 403 PERMISSION_DENIED
  a role inside the policy        -> passes authorization: any status but 401/403 (empty requests mostly
                                     end in 400; handlers of other issues may still answer 501)
"""

import base64
import importlib
import json
import time
import uuid
from collections.abc import Callable

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from devmesh.mesh import Mesh
from voketag.auth import Policy, Role, TokenSigner, policy_of

AREAS = ("scan", "factory", "admin", "anchor")
UNAUTHENTICATED, DENIED, PASSES = "401", "403", "passes"


def servicer_policies(area: str) -> tuple[ServiceDescriptor, dict[str, Policy]]:
    module = importlib.import_module(f"{area}_svc.api")
    service: ServiceDescriptor = module.SERVICE
    base = f"{service.name}Servicer"
    servicers = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and any(parent.__name__ == base for parent in value.__mro__[1:])
    ]
    assert len(servicers) == 1, f"{area}_svc.api must define one servicer"
    policies = {}
    for method in service.methods:
        policy = policy_of(getattr(servicers[0], method.name))
        assert policy is not None, f"{service.full_name}.{method.name} declares no policy"
        policies[method.name] = policy
    return service, policies


MATRIX = [
    (service, method, policies[method.name])
    for service, policies in map(servicer_policies, AREAS)
    for method in service.methods
]


def unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'at+jwt', 'kid': 'dev'})}.{part(claims)}."


@pytest.fixture(scope="module")
def callers(signer: TokenSigner, mesh: Mesh) -> dict[str, tuple[str | None, Role | None]]:
    """Caller name -> (bearer token, role it acts in; None when the token must be refused)."""
    now = int(time.time())
    none_claims = {
        "iss": "voketag", "aud": "voketag-api", "sub": "mallory", "role": "admin", "iat": now, "nbf": now,
        "exp": now + 600, "jti": uuid.uuid4().hex,
    }  # fmt: skip
    return {
        "anonymous": (None, None),
        "expired": (signer.mint("m-exp", Role.ADMIN, ttl_s=-120), None),
        "wrong audience": (TokenSigner(mesh.signing_key, "dev", "voketag", "another-api").mint("m", Role.ADMIN), None),
        "alg none": (unsigned(none_claims), None),
        "operator of another factory": (
            signer.mint("m-op", Role.OPERATOR, factory_id=str(uuid.uuid4())),
            Role.OPERATOR,
        ),
        "auditor": (signer.mint("m-aud", Role.AUDITOR), Role.AUDITOR),
        "admin": (signer.mint("m-admin", Role.ADMIN), Role.ADMIN),
    }


def expected(policy: Policy, token: str | None, role: Role | None) -> str:
    if policy.public:
        return PASSES
    if token is None or role is None:
        return UNAUTHENTICATED
    return PASSES if role in policy.roles else DENIED


async def call(
    channel: grpc.aio.Channel, service: ServiceDescriptor, method: MethodDescriptor, token: str | None
) -> str:
    path = f"/{service.full_name}/{method.name}"
    identity: Callable[[bytes], bytes] = lambda raw: raw  # noqa: E731
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    try:
        if method.client_streaming:
            stub = channel.stream_unary(path, request_serializer=identity, response_deserializer=identity)
            await stub(iter([b""]), metadata=metadata, timeout=10)
        elif method.server_streaming:
            stub = channel.unary_stream(path, request_serializer=identity, response_deserializer=identity)
            async for _ in stub(b"", metadata=metadata, timeout=10):
                pass
        else:
            stub = channel.unary_unary(path, request_serializer=identity, response_deserializer=identity)
            await stub(b"", metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.UNAUTHENTICATED:
            return UNAUTHENTICATED
        if error.code() == grpc.StatusCode.PERMISSION_DENIED:
            return DENIED
        return PASSES
    return PASSES


def test_every_rpc_of_every_service_is_in_the_matrix() -> None:
    assert {service.name for service, _, _ in MATRIX} == {
        "ScanService", "FactoryService", "AdminService", "AnchorService"
    }  # fmt: skip
    assert len(MATRIX) >= 50


@pytest.mark.parametrize(("service", "method", "policy"), MATRIX, ids=[f"{s.name}.{m.name}" for s, m, _ in MATRIX])
async def test_permission_matrix(
    channel: grpc.aio.Channel,
    callers: dict[str, tuple[str | None, Role | None]],
    service: ServiceDescriptor,
    method: MethodDescriptor,
    policy: Policy,
) -> None:
    answers = {name: await call(channel, service, method, token) for name, (token, _) in callers.items()}
    wanted = {name: expected(policy, token, role) for name, (token, role) in callers.items()}
    assert answers == wanted
