"""RFC 6962 Merkle trees (RFC 9162 section 2.1 describes the same hashing): batch trees and proofs.

leaf hash = SHA-256(0x00 || data), node hash = SHA-256(0x01 || left || right); a tree of n > 1
leaves splits at k, the largest power of two below n; an odd node is never duplicated. Built
bottom-up, a level's unpaired last node is carried up unchanged, which yields exactly that tree.

Any aligned run of 2^b leaves is a node of the tree, and the tree over the roots of consecutive
2^b-leaf chunks (the last one possibly shorter) is the upper part of the full tree. That lets a
caller keep only the upper levels and recompute one chunk to answer a proof (``chunk_roots``).
"""

import hashlib
from collections.abc import Mapping, Sequence

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


# Append-only logs (the scan ledger): an incremental frontier and consistency proofs.


def _split(n: int) -> int:
    """Largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def append_nodes(frontier: list[bytes], size: int, leaf: bytes) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """The frontier (roots of the perfect subtrees of a tree of ``size`` leaves, largest first) after one more leaf,
    and the perfect subtrees that leaf completes as (level, index, hash), lowest first."""
    frontier = [*frontier, leaf]
    completed = []
    level = 0
    # Each trailing 1 bit of the old size is a perfect subtree that the new leaf completes.
    while size & 1:
        right = frontier.pop()
        frontier[-1] = node_hash(frontier[-1], right)
        size >>= 1
        level += 1
        completed.append((level, size, frontier[-1]))
    return frontier, completed


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The tree root from its frontier: fold the perfect subtrees from the right."""
    if not frontier:
        return EMPTY_ROOT
    result = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        result = node_hash(subtree, result)
    return result


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 section 2.1.2 PROOF(first, leaves) for 0 < first <= len(leaves)."""
    if not 0 < first <= len(leaves):
        raise ValueError("first tree size must be between 1 and the second tree size")
    return _subproof(first, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2: does ``proof`` show the tree of ``second`` leaves extends the one of ``first``?"""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# Proofs from stored nodes. A node (level, index) is the perfect subtree over leaves index * 2^level up to
# (index + 1) * 2^level - 1; a log that keeps every node it completes (``append_nodes``) answers any proof
# from O(log n) of them instead of rereading every leaf. Each proof entry is the hash of one subtree of the
# RFC 6962 recursion: a perfect node, or a range that ends at the tree's right edge, whose hash is the fold
# of its perfect parts (as ``frontier_root`` folds a frontier).

Node = tuple[int, int]


def range_nodes(start: int, end: int) -> list[Node]:
    """The perfect nodes that make up leaves start..end-1, largest first.

    ``start`` must be a multiple of a power of two that is at least ``end - start``, which every subtree of
    the RFC 6962 recursion is; ``range_nodes(0, size)`` is the frontier of a tree of ``size`` leaves.
    """
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def inclusion_nodes(index: int, size: int) -> list[list[Node]]:
    """PATH(index, D[size]) as nodes: proof entry i is the fold of list i (leaf level upwards)."""
    if not 0 <= index < size:
        raise IndexError(f"leaf index {index} outside a tree of {size} leaves")
    top_down = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            top_down.append(range_nodes(start + k, end))
            end = start + k
        else:
            top_down.append(range_nodes(start, start + k))
            start += k
    return top_down[::-1]


def consistency_nodes(first: int, second: int) -> list[list[Node]]:
    """PROOF(first, D[second]) as nodes, in the order of ``consistency_proof``."""
    if not 0 < first <= second:
        raise ValueError("first tree size must be between 1 and the second tree size")
    top_down = []
    start, end, complete = 0, second, True
    while first != end:
        k = _split(end - start)
        if first <= start + k:
            top_down.append(range_nodes(start + k, end))
            end = start + k
        else:
            top_down.append(range_nodes(start, start + k))
            start += k
            complete = False
    if not complete:
        top_down.append(range_nodes(start, end))
    return top_down[::-1]


def fold(entries: Sequence[Sequence[Node]], hashes: Mapping[Node, bytes]) -> list[bytes]:
    """The proof entries (or roots) that ``entries`` describe, from the hashes of their nodes."""
    return [frontier_root([hashes[node] for node in nodes]) for nodes in entries]
