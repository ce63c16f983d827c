"""RFC 6962 Merkle trees (section 2.1; RFC 9162 section 2.1 describes the same hashing).

leaf hash = SHA-256(0x00 || data), node hash = SHA-256(0x01 || left || right); a tree of n > 1
leaves splits at k, the largest power of two below n; an odd node is never duplicated. Built
bottom-up, a level's unpaired last node is carried up unchanged, which yields exactly that tree.

Any aligned run of 2^b leaves is a node of the tree, and the tree over the roots of consecutive
2^b-leaf chunks (the last one possibly shorter) is the upper part of the full tree. That lets a
caller keep only the upper levels and recompute one chunk to answer a proof (``chunk_roots``).
"""

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
# A proof of more entries cannot belong to a tree of at most 2^64 leaves.
MAX_PATH = 64

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(NODE_PREFIX + left + right).digest()


def next_level(nodes: Sequence[bytes]) -> list[bytes]:
    """Hash adjacent pairs; an unpaired last node moves up unchanged."""
    sha = _sha256
    upper = [sha(NODE_PREFIX + nodes[i] + nodes[i + 1]).digest() for i in range(0, len(nodes) - 1, 2)]
    if len(nodes) % 2:
        upper.append(nodes[-1])
    return upper


def levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """All levels of the tree, leaves first, root last (a one-element list)."""
    if not leaf_hashes:
        raise ValueError("a tree needs at least one leaf")
    result = [list(leaf_hashes)]
    while len(result[-1]) > 1:
        result.append(next_level(result[-1]))
    return result


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The tree head MTH(D[n]); the RFC defines the empty tree's root as SHA-256 of nothing."""
    if not leaf_hashes:
        return EMPTY_ROOT
    nodes = list(leaf_hashes)
    while len(nodes) > 1:
        nodes = next_level(nodes)
    return nodes[0]


def path_from_levels(tree: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """Audit path of leaf ``index`` (leaf level upwards) from precomputed ``levels``."""
    if not 0 <= index < len(tree[0]):
        raise IndexError(f"leaf index {index} outside a tree of {len(tree[0])} leaves")
    path = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index >>= 1
    return path


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path PATH(m, D[n]) of leaf ``index``."""
    return path_from_levels(levels(leaf_hashes), index)


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` leads to from leaf hash ``leaf``, or None when the path cannot fit.

    RFC 9162 section 2.1.3.2, step by step; it never raises on malformed input.
    """
    if not 0 <= index < size or len(path) > MAX_PATH:
        return None
    if any(not isinstance(node, bytes) or len(node) != HASH_SIZE for node in path):
        return None
    fn, sn = index, size - 1
    current = leaf
    for node in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            current = node_hash(node, current)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(current, node)
        fn >>= 1
        sn >>= 1
    return current if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    """True when ``path`` proves leaf hash ``leaf`` at ``index`` in the tree of ``size`` with ``expected_root``."""
    return root_from_path(leaf, index, size, path) == expected_root


def chunk_roots(leaf_hashes: Sequence[bytes], chunk_bits: int) -> list[bytes]:
    """Roots of consecutive chunks of 2^chunk_bits leaves (the last may be shorter)."""
    width = 1 << chunk_bits
    return [root(leaf_hashes[start : start + width]) for start in range(0, len(leaf_hashes), width)]
