"""Sign-in throttling that slows guessing but cannot be used to lock others out, through Envoy: each client
comes from a loopback address of its own, which Envoy passes on as the client address."""

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.admin.conftest import PASSWORD, Api, create_user
from tests.scan.conftest import next_address
from tests.support import json_reason


@pytest.fixture
def clients(gateway: str) -> Iterator[object]:
    """Factory of REST clients, each from its own address."""
    made: list[httpx.Client] = []

    def create() -> httpx.Client:
        client = httpx.Client(base_url=gateway, transport=httpx.HTTPTransport(local_address=next_address()), timeout=30)
        made.append(client)
        return client

    yield create
    for client in made:
        client.close()


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def test_failures_from_one_address_do_not_lock_the_owner_out(admin: Api, clients) -> None:
    email = create_user(admin)["user"]["email"]
    attacker, owner = clients(), clients()
    statuses = [login(attacker, email, f"guess {i}").status_code for i in range(50)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    # The attacker's own address stays refused, even with the right password.
    refused = login(attacker, email, PASSWORD)
    assert refused.status_code == 429 and json_reason(refused.content) == "TOO_MANY_FAILED_LOGINS"
    assert int(refused.headers["retry-after"]) >= 1
    assert login(owner, email, PASSWORD).status_code == 200


def test_guessing_from_many_addresses_is_slowed_per_account_not_locked(admin: Api, clients) -> None:
    email = create_user(admin)["user"]["email"]
    for _ in range(10):  # 10 addresses x 5 failures = the account's burst of 50
        attacker = clients()
        assert [login(attacker, email, "wrong guess").status_code for _ in range(5)] == [401] * 5
    slowed = login(clients(), email, "wrong guess")
    assert slowed.status_code == 429 and json_reason(slowed.content) == "TOO_MANY_FAILED_LOGINS"
    # A delay of one interval (30 s by default), never the 15-minute window: the owner is only held back.
    assert 1 <= int(slowed.headers["retry-after"]) <= 30
    owner = login(clients(), email, PASSWORD)
    assert owner.status_code == 429 and int(owner.headers["retry-after"]) <= 30


def new_account(admin: Api, factory: dict) -> dict:
    body = {"requestId": str(uuid.uuid4()), "name": "MES", "factoryId": factory["id"]}
    created = admin.ok("POST", "/v1/admin/service-accounts", body)
    return {"clientId": created["serviceAccount"]["clientId"], "clientSecret": created["clientSecret"]}


def test_service_account_keeps_its_token_while_its_address_is_throttled(
    admin: Api, factory: dict, clients, gateway: str
) -> None:
    grant = new_account(admin, factory)
    shared = next_address()  # a NAT: the MES and a hostile client share one address

    def from_shared() -> httpx.Client:
        return httpx.Client(base_url=gateway, transport=httpx.HTTPTransport(local_address=shared), timeout=30)

    with from_shared() as hostile, from_shared() as mes:
        logins = [login(hostile, f"{uuid.uuid4().hex}@example.com", "nope").status_code for _ in range(51)]
        assert logins[:50] == [401] * 50 and logins[50] == 429
        wrong = {**grant, "clientSecret": "x" * 43}
        exchanges = [hostile.post("/v1/auth/token", json=wrong).status_code for _ in range(52)]
        assert exchanges[:50] == [401] * 50 and set(exchanges[50:]) == {429}
        for _ in range(3):
            issued = mes.post("/v1/auth/token", json=grant)
            assert issued.status_code == 200, issued.text
        machine = admin.as_(issued.json()["accessToken"])
        assert machine.call("GET", "/v1/batches").status_code == 200


def test_service_account_exchanges_are_limited_per_credential(admin: Api, factory: dict, clients) -> None:
    grant, other = new_account(admin, factory), new_account(admin, factory)
    mes = clients()
    statuses = [mes.post("/v1/auth/token", json=grant).status_code for _ in range(21)]  # burst 20
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    limited = mes.post("/v1/auth/token", json=grant)
    assert json_reason(limited.content) == "RATE_LIMITED" and int(limited.headers["retry-after"]) >= 1
    # Another credential, from the same address, is not affected.
    assert mes.post("/v1/auth/token", json=other).status_code == 200


def test_service_account_logout_is_refused_with_a_clear_403(admin: Api, factory: dict) -> None:
    token = admin.ok("POST", "/v1/auth/token", new_account(admin, factory))["accessToken"]
    machine = admin.as_(token)
    refused = machine.call("POST", "/v1/auth/logout", {})
    assert refused.status_code == 403 and json_reason(refused.content) == "ROLE_FORBIDDEN"
    assert machine.call("GET", "/v1/batches").status_code == 200
