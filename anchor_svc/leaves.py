"""Product leaves and batch trees: pure logic, no storage.

Leaf data of a product (UTF-8, no trailing newline; no field can contain "|"):

    voketag-leaf-v1|<batch id>|<product id>|<serial, decimal>|<sku>|<SHA-256 of the token text, lowercase hex>

UUIDs in lowercase canonical form; the token is the printed text (uppercase base32). The leaf hash is
RFC 6962's SHA-256(0x00 || leaf data); a batch tree's leaves are its products in leaf_index order.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from voketag import merkle

LEAF_PREFIX = "voketag-leaf-v1"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_LEAF = re.compile(
    rf"{LEAF_PREFIX}\|(?P<batch>{_UUID})\|(?P<product>{_UUID})\|(?P<serial>0|[1-9][0-9]{{0,19}})"
    r"\|(?P<sku>[A-Za-z0-9._-]{1,64})\|(?P<token>[0-9a-f]{64})"
)


@dataclass(frozen=True)
class Leaf:
    batch_id: str
    product_id: str
    serial: int
    sku: str
    token_sha256: bytes

    def encode(self) -> bytes:
        return (
            f"{LEAF_PREFIX}|{self.batch_id}|{self.product_id}|{self.serial}|{self.sku}|{self.token_sha256.hex()}"
        ).encode()


def token_sha256(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def decode(data: bytes) -> Leaf | None:
    """The fields of canonical leaf data, or None when ``data`` is not canonical."""
    try:
        match = _LEAF.fullmatch(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if match is None:
        return None
    return Leaf(match["batch"], match["product"], int(match["serial"]), match["sku"], bytes.fromhex(match["token"]))


@dataclass(frozen=True)
class BatchTree:
    """What is stored of a batch tree: its size and the levels above its chunks."""

    size: int
    chunk_bits: int
    upper: list[list[bytes]]

    @property
    def root(self) -> bytes:
        return self.upper[-1][0]


def build_tree(chunk_roots: Sequence[bytes], size: int, chunk_bits: int) -> BatchTree:
    """The stored part of a tree from the roots of its chunks (see voketag.merkle.chunk_roots)."""
    if len(chunk_roots) != -(-size // (1 << chunk_bits)):
        raise ValueError(f"{len(chunk_roots)} chunk roots do not cover {size} leaves")
    return BatchTree(size, chunk_bits, merkle.levels(chunk_roots))


def product_path(
    chunk_leaves: Sequence[bytes], leaf_index: int, chunk_bits: int, upper_path: Sequence[bytes]
) -> list[bytes]:
    """Audit path of a leaf: inside its recomputed chunk, then the stored siblings above the chunk."""
    return [*merkle.inclusion_proof(chunk_leaves, leaf_index & ((1 << chunk_bits) - 1)), *upper_path]


def product_leaf(token: str, batch_id: str, product_id: str, serial: int, sku: str) -> Leaf:
    return Leaf(batch_id, product_id, serial, sku, token_sha256(token))
