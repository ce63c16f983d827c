"""Ethereum pieces the anchor needs: Keccak-256, RLP, EIP-55 addresses and signed EIP-1559 transactions.

web3 and eth-account did this before and cost the anchor service about 30 MiB of idle memory (docs/operations.md,
"Idle memory per process"); an anchor transaction is one fixed shape, signed with libsecp256k1 (coincurve) and
hashed with Keccak-256 (safe-pysha3). tests/anchor/test_eth.py checks the bytes against eth-account's.
"""

from dataclasses import dataclass

import sha3
from coincurve import PrivateKey

# EIP-2718 type byte of an EIP-1559 (dynamic fee) transaction.
DYNAMIC_FEE_TX = 2

RlpItem = bytes | int | list["RlpItem"]


def keccak(data: bytes) -> bytes:
    return bytes(sha3.keccak_256(data).digest())


def rlp(item: RlpItem) -> bytes:
    """Recursive Length Prefix encoding (Ethereum yellow paper, appendix B); integers as minimal big-endian."""
    if isinstance(item, list):
        payload = b"".join(rlp(element) for element in item)
        return _length_prefix(len(payload), 0xC0) + payload
    data = item.to_bytes((item.bit_length() + 7) // 8, "big") if isinstance(item, int) else item
    if len(data) == 1 and data[0] < 0x80:
        return data
    return _length_prefix(len(data), 0x80) + data


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def checksum_address(address: str) -> str:
    """The EIP-55 mixed-case form of a 20-byte hex address."""
    lower = address.lower().removeprefix("0x")
    if len(lower) != 40:
        raise ValueError(f"not a 20-byte address: {address!r}")
    nibbles = keccak(lower.encode()).hex()[:40]
    return "0x" + "".join(c.upper() if int(n, 16) >= 8 else c for c, n in zip(lower, nibbles, strict=True))


@dataclass(frozen=True)
class SignedTransaction:
    tx_hash: bytes
    raw: bytes


class Account:
    """A secp256k1 key that signs transactions locally; the node never sees it."""

    def __init__(self, private_key: str) -> None:
        digits = private_key.strip()
        secret = bytes.fromhex(digits[2:] if digits[:2].lower() == "0x" else digits)
        if len(secret) != 32:
            raise ValueError("a private key is 32 bytes (64 hex digits)")
        self._key = PrivateKey(secret)
        public = self._key.public_key.format(compressed=False)[1:]
        self.address = checksum_address(keccak(public)[-20:].hex())

    def sign_dynamic_fee(
        self,
        *,
        chain_id: int,
        nonce: int,
        to: str,
        gas: int,
        max_fee: int,
        priority_fee: int,
        data: bytes,
        value: int = 0,
    ) -> SignedTransaction:
        """An EIP-1559 transaction with an empty access list, signed as EIP-1559 prescribes: over
        keccak(0x02 || rlp(fields)), with the signature's y parity, r and s appended to the fields."""
        fields: list[RlpItem] = [
            chain_id,
            nonce,
            priority_fee,
            max_fee,
            gas,
            bytes.fromhex(to.removeprefix("0x")),
            value,
            data,
            [],
        ]
        digest = keccak(bytes([DYNAMIC_FEE_TX]) + rlp(fields))
        # libsecp256k1: RFC 6979 nonce and low s (EIP-2), recovery id last.
        signature = self._key.sign_recoverable(digest, hasher=None)
        r, s, y_parity = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
        raw = bytes([DYNAMIC_FEE_TX]) + rlp([*fields, y_parity, r, s])
        return SignedTransaction(keccak(raw), raw)
