"""The runner's local anvil keeps its chain across a restart (`make up` twice), so that the anchors the kept
database refers to are still on the chain."""

from pathlib import Path

import pytest
from eth_account import Account

from anchor_svc.settings import ANVIL_DEV_KEY
from devmesh.mesh import Anvil, start_dependencies
from tests.anchor.conftest import rpc


def test_the_runner_chain_survives_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the chain is started here; the others are "configured" (never contacted by start_dependencies).
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused")
    monkeypatch.setenv("REDIS_URL", "redis://unused")
    monkeypatch.delenv("ETH_RPC_URL", raising=False)
    (tmp_path / "logs").mkdir()
    urls, started = start_dependencies(tmp_path)
    [first] = started
    assert isinstance(first, Anvil)
    account = Account.from_key(ANVIL_DEV_KEY)
    signed = account.sign_transaction(
        {
            "type": 2, "chainId": 31337, "nonce": 0, "to": account.address, "value": 0, "gas": 30_000,
            "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "data": b"\x01" * 32,
        }
    )  # fmt: skip
    try:
        tx_hash = rpc(urls["ETH_RPC_URL"], "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())
        rpc(urls["ETH_RPC_URL"], "anvil_mine", 1)
        receipt = rpc(urls["ETH_RPC_URL"], "eth_getTransactionReceipt", tx_hash)
        genesis = rpc(urls["ETH_RPC_URL"], "eth_getBlockByNumber", "0x0", False)["hash"]
    finally:
        first.stop()

    urls, started = start_dependencies(tmp_path)
    [second] = started
    try:
        assert rpc(urls["ETH_RPC_URL"], "eth_getBlockByNumber", "0x0", False)["hash"] == genesis
        assert rpc(urls["ETH_RPC_URL"], "eth_getTransactionReceipt", tx_hash)["blockHash"] == receipt["blockHash"]
        assert int(rpc(urls["ETH_RPC_URL"], "eth_getTransactionCount", account.address, "latest"), 16) == 1
    finally:
        second.stop()
