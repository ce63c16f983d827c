"""The anchor's own Ethereum pieces against the reference: RLP vectors, EIP-55, and transactions byte for byte as
eth-account signs them (the node itself accepts them in every anchoring test)."""

import pytest
from eth_account import Account as ReferenceAccount
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from anchor_svc.eth import Account, checksum_address, keccak, rlp
from anchor_svc.settings import ANVIL_DEV_KEY

from .conftest import SENDER

# The RLP examples of the Ethereum wiki / yellow paper appendix B.
RLP_VECTORS = [
    (b"dog", "83646f67"),
    ([b"cat", b"dog"], "c88363617483646f67"),
    (b"", "80"),
    ([], "c0"),
    (0, "80"),
    (b"\x00", "00"),
    (b"\x0f", "0f"),
    (15, "0f"),
    (1024, "820400"),
    ([[], [[]], [[], [[]]]], "c7c0c1c0c3c0c1c0"),
    (
        b"Lorem ipsum dolor sit amet, consectetur adipisicing elit",
        "b838" + b"Lorem ipsum dolor sit amet, consectetur adipisicing elit".hex(),
    ),
]


@pytest.mark.parametrize(("item", "encoded"), RLP_VECTORS)
def test_rlp_encodes_the_reference_examples(item, encoded: str) -> None:
    assert rlp(item).hex() == encoded


def test_keccak_is_keccak_256_not_sha3_256() -> None:
    assert keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@given(st.binary(min_size=20, max_size=20))
def test_checksum_addresses_match_eip_55(address: bytes) -> None:
    assert checksum_address("0x" + address.hex()) == to_checksum_address(address)


def test_a_key_yields_its_address() -> None:
    assert Account(ANVIL_DEV_KEY).address == SENDER == ReferenceAccount.from_key(ANVIL_DEV_KEY).address


@settings(max_examples=200)
@given(
    key=st.binary(min_size=32, max_size=32).filter(lambda key: 0 < int.from_bytes(key, "big") < 2**256 - 2**129),
    chain_id=st.integers(1, 2**64),
    nonce=st.integers(0, 2**64 - 1),
    priority_fee=st.integers(0, 2**100),
    extra_fee=st.integers(0, 2**100),
    gas=st.integers(21_000, 2**30),
    data=st.binary(max_size=100),
)
def test_signed_transactions_are_byte_identical_to_eth_accounts(
    key: bytes, chain_id: int, nonce: int, priority_fee: int, extra_fee: int, gas: int, data: bytes
) -> None:
    ours = Account(key.hex())
    signed = ours.sign_dynamic_fee(
        chain_id=chain_id,
        nonce=nonce,
        to=ours.address,
        gas=gas,
        max_fee=priority_fee + extra_fee,
        priority_fee=priority_fee,
        data=data,
    )
    reference = ReferenceAccount.from_key(key).sign_transaction(
        {
            "type": 2,
            "chainId": chain_id,
            "nonce": nonce,
            "to": ours.address,
            "value": 0,
            "gas": gas,
            "maxFeePerGas": priority_fee + extra_fee,
            "maxPriorityFeePerGas": priority_fee,
            "data": data,
        }
    )
    assert signed.raw == bytes(reference.raw_transaction)
    assert signed.tx_hash == bytes(reference.hash)
    assert ReferenceAccount.recover_transaction(signed.raw) == ours.address


def test_a_malformed_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Account("0x1234")
