"""Proof bundles: assemble one from stored rows, and check one (offline and against the chain).

The checks are shared by the GetMerkleProof tests, VerifyAnchor and the offline verifier CLI, so a
bundle is judged the same way everywhere.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from anchor_svc import leaves
from voketag import merkle
from voketag.common.v1 import anchor_pb2

BUNDLE_VERSION = 1


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def split_roots(packed: bytes) -> list[bytes]:
    return [packed[i : i + merkle.HASH_SIZE] for i in range(0, len(packed), merkle.HASH_SIZE)]


def aggregate_path(batch_roots: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path of a batch root in the aggregate tree (its leaf data is the 32-byte root itself)."""
    return merkle.inclusion_proof([merkle.leaf_hash(root) for root in batch_roots], index)


def batch_root_in_aggregate(batch_root: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    return merkle.verify_inclusion(merkle.leaf_hash(batch_root), index, size, path, root)


def offline_checks(bundle: anchor_pb2.ProofBundle) -> list[Check]:
    """Everything that needs no chain node: leaf encoding, leaf -> batch root, batch root -> aggregate root."""
    checks = [Check("version", bundle.version == BUNDLE_VERSION, f"bundle version {bundle.version}")]
    decoded = leaves.decode(bundle.leaf_data)
    fields = bundle.leaf
    expected = leaves.Leaf(fields.batch_id, fields.product_id, fields.serial, fields.sku, fields.token_sha256)
    checks.append(
        Check(
            "leaf data",
            decoded is not None and decoded == expected and decoded.encode() == bundle.leaf_data,
            "leaf_data is the canonical encoding of the leaf fields"
            if decoded == expected
            else "leaf_data is not the canonical encoding of the leaf fields",
        )
    )
    batch_ok = merkle.verify_inclusion(
        merkle.leaf_hash(bundle.leaf_data),
        bundle.leaf_index,
        bundle.batch_size,
        list(bundle.batch_path),
        bundle.batch_root,
    )
    checks.append(
        Check(
            "batch path",
            batch_ok,
            f"leaf {bundle.leaf_index} of {bundle.batch_size} -> batch root {bundle.batch_root.hex()}",
        )
    )
    aggregate_ok = batch_root_in_aggregate(
        bundle.batch_root,
        bundle.aggregate_index,
        bundle.aggregate_size,
        list(bundle.aggregate_path),
        bundle.aggregate_root,
    )
    checks.append(
        Check(
            "aggregate path",
            aggregate_ok,
            f"batch root {bundle.aggregate_index} of {bundle.aggregate_size}"
            f" -> aggregate root {bundle.aggregate_root.hex()}",
        )
    )
    return checks


def token_matches(bundle: anchor_pb2.ProofBundle, token: str) -> Check:
    """Optional: the printed token belongs to this leaf."""
    ok = leaves.token_sha256(token.strip().upper()) == bundle.leaf.token_sha256
    return Check("token", ok, "the token's SHA-256 equals the leaf's token_sha256")
