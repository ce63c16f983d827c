"""Bad input is never a 5xx and never shows internal names: every google.api.http rule of the descriptor set, through
Envoy, with invalid UTF-8, NUL, unknown enum numbers, integers beyond bigint, wrong types, malformed JSON and huge
strings in its path, query and body, and header names gRPC does not allow, with and without credentials.

The cases are derived from the request messages, so a new RPC or field is fuzzed without editing this file.
"""

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from admin_svc.api import AdminApi
from anchor_svc.api import AnchorApi
from factory_svc.api import FactoryApi
from scan_svc.api import ScanApi
from tests.contract import Rule, contract_rules
from voketag.auth import Role, TokenSigner, policy_of

# The servicers (their modules also put every request type in the default descriptor pool).
SERVICERS = {
    "voketag.scan.v1.ScanService": ScanApi,
    "voketag.factory.v1.FactoryService": FactoryApi,
    "voketag.admin.v1.AdminService": AdminApi,
    "voketag.anchor.v1.AnchorService": AnchorApi,
}
# What an anonymous malformed call to a non-public RPC may get: refused by Envoy (400, 404, 413, 431) or by auth.
ANONYMOUS = {400, 401, 404, 413, 431}

# Internal names a client must never see: Python exception and module names, source paths, proto type names.
INTERNAL = re.compile(
    r"Traceback|<class |\b\w+(Error|Exception)\b|\.py\b|site-packages|asyncpg|psycopg|\bupb\b|"
    r"voketag\.(scan|factory|admin|anchor|common)\.v1|\b\w+_svc\b|google\.protobuf|type\.googleapis\.com/voketag"
)
HUGE = "x" * 300_000  # within the 1 MiB body limit: reaches the services
HUGE_URL = "x" * 32_000  # within Envoy's header limit (60 KiB) and httpx's URL limit: reaches the services
UINT64_MAX = "18446744073709551615"
# Its own loopback network: the fuzz's failed logins and scans count against 127.0.77.0/24, not other tests' address.
SOURCE = "127.0.77.1"
# HTTP token characters gRPC does not allow in a header name (a-z 0-9 - _ . only), and "_", which the edge refuses;
# Envoy's codec refuses the characters HTTP does not allow.
BAD_HEADER_NAMES = ("24gz!", "a%b~c", "x_y")

_INT_TYPES = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}


@dataclass(frozen=True)
class Case:
    rule: Rule
    what: str
    path: str
    content: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.rule.verb} {self.rule.template} [{self.what}]"


def _message(name: str) -> Descriptor:
    return descriptor_pool.Default().FindMessageTypeByName(name)


def _query_values(field: FieldDescriptor) -> list[str]:
    """Raw (already percent-encoded) query values that are wrong for this field."""
    if field.type == FieldDescriptor.TYPE_STRING:
        return ["%ff", "a%00b", "%ed%a0%80"]
    if field.type == FieldDescriptor.TYPE_ENUM:
        return ["999", "-1", "NO_SUCH_VALUE"]
    if field.type in _INT_TYPES:
        return [UINT64_MAX, "-1", "abc", "1e999"]
    if field.type == FieldDescriptor.TYPE_BOOL:
        return ["maybe"]
    return ["%ff"]


def _body_values(field: FieldDescriptor) -> list[object]:
    """JSON values that are wrong for this field, or right in type and wrong in content."""
    if field.is_repeated and not (field.message_type and field.message_type.GetOptions().map_entry):
        return [{"not": "a list"}, ["\u0000"], [999]]
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return [{"k\u0000": "v"}, {"k": "\u0000"}, ["a list"], {"k": {"deep": 1}}]
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return ["a string", [1], {"noSuchField": "\u0000"}]
    if field.type == FieldDescriptor.TYPE_STRING:
        return ["\u0000", "a\u0000b", "\ud800", 123, HUGE]
    if field.type == FieldDescriptor.TYPE_ENUM:
        return [999, -5, "NO_SUCH_VALUE"]
    if field.type in _INT_TYPES:
        return [UINT64_MAX, int(UINT64_MAX), -1, 1.5, "abc"]
    if field.type == FieldDescriptor.TYPE_BOOL:
        return ["yes"]
    return ["\u0000"]


def _body_message(rule: Rule) -> Descriptor | None:
    message = _message(rule.input_type)
    if rule.body == "*":
        return message
    field = message.fields_by_name.get(rule.body)
    return field.message_type if field is not None else None


def cases(rule: Rule) -> Iterator[Case]:
    base = rule.sample_path
    for name in BAD_HEADER_NAMES:
        yield Case(rule, f"header name {name}", base, b"{}" if rule.body else None, ((name, "x"),))
    if rule.path_fields:
        for what, segment in (("utf8", "%ff"), ("nul", "a%00b"), ("surrogate", "%ed%a0%80"), ("huge", HUGE_URL)):
            yield Case(rule, f"path {what}", rule.path_with(segment), b"{}" if rule.body else None)
    message = _message(rule.input_type)
    if not rule.body:
        bound = {name.split(".")[0] for name in rule.path_fields}
        for field in message.fields:
            if field.name in bound or field.type == FieldDescriptor.TYPE_MESSAGE:
                continue
            for value in _query_values(field):
                yield Case(rule, f"query {field.json_name}={value[:20]}", f"{base}?{field.json_name}={value}")
        yield Case(rule, "query huge", f"{base}?x={HUGE_URL}")
        return
    for what, raw in (
        ("malformed json", b'{"a": '),
        ("array body", b"[]"),
        ("string body", b'"text"'),
        ("deep nesting", b"[" * 5000 + b"]" * 5000),
        ("bad utf8 in json", b'{"a": "\xff"}'),
    ):
        yield Case(rule, what, base, raw)
    body = _body_message(rule)
    if body is None:  # the body is a bytes field (the CSV upload): only the malformed bodies above
        return
    for field in body.fields:
        for wrong in _body_values(field):
            shown = json.dumps(wrong)[:20]
            yield Case(rule, f"body {field.json_name}={shown}", base, json.dumps({field.json_name: wrong}).encode())


def _internal_names(text: str) -> list[str]:
    # ErrorInfo/BadRequest type URLs are the public error model, not internal names.
    return [m.group(0) for m in INTERNAL.finditer(text.replace("type.googleapis.com/google.rpc.", ""))]


async def _send(client: httpx.AsyncClient, case: Case, token: str | None) -> str | None:
    headers = {"content-type": "application/json", **dict(case.headers)}
    if token:
        headers["authorization"] = f"Bearer {token}"
    reply = await client.request(case.rule.verb, case.path, content=case.content, headers=headers)
    body = reply.text
    auth = "with token" if token else "anonymous"
    if reply.status_code >= 500:
        return f"{case.label} {auth}: {reply.status_code} {body[:300]}"
    # Answers (2xx) carry data, which may name RPCs (the audit log); refusals must not name internals.
    leaked = _internal_names(" ".join(f"{k}: {v}" for k, v in reply.headers.items()))
    if not reply.is_success:
        leaked += _internal_names(body)
    if leaked:
        return f"{case.label} {auth}: {reply.status_code} shows {leaked[:3]} in {body[:300]}"
    if not token and not _public(case.rule) and reply.status_code not in ANONYMOUS:
        return f"{case.label} anonymous: {reply.status_code} {body[:200]}"
    return None


def _public(rule: Rule) -> bool:
    policy = policy_of(getattr(SERVICERS[rule.service], rule.method))
    return policy is not None and policy.public


@pytest.fixture(scope="module")
def fuzz_token(signer: TokenSigner) -> str:
    # Its own subject: a fuzzed Logout ends this token's session, never the one other tests share.
    return signer.mint("fuzz-admin", Role.ADMIN)


async def test_no_input_makes_a_5xx_or_shows_internal_names(gateway: str, fuzz_token: str) -> None:
    everything = [case for rule in contract_rules() for case in cases(rule)]
    assert len({case.rule.template for case in everything}) > 40
    limit = asyncio.Semaphore(8)
    transport = httpx.AsyncHTTPTransport(local_address=SOURCE, retries=0)
    async with httpx.AsyncClient(base_url=gateway, transport=transport, timeout=30) as client:

        async def one(case: Case, token: str | None) -> str | None:
            async with limit:
                return await _send(client, case, token)

        results = await asyncio.gather(
            *(one(case, token) for case in everything for token in (fuzz_token, None)),
        )
    problems = [result for result in results if result]
    assert not problems, f"{len(problems)} of {len(results)} requests:\n" + "\n".join(problems[:40])
