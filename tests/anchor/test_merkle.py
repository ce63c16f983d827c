"""RFC 6962 core: published test vectors and properties of random trees."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voketag import merkle

# The Certificate Transparency reference data (google/certificate-transparency, merkle_tree_test.cc;
# the same set is in transparency-dev/merkle testonly): leaf inputs, tree heads of sizes 0..8, audit paths.
LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index 0-based, tree size, audit path); the reference lists indices 1-based.
PATHS = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]


@pytest.mark.parametrize("size", range(9))
def test_tree_heads_match_the_reference(size):
    assert merkle.root(HASHES[:size]).hex() == ROOTS[size]


def test_hashing_prefixes():
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


@pytest.mark.parametrize(("index", "size", "path"), PATHS)
def test_audit_paths_match_the_reference(index, size, path):
    got = merkle.inclusion_proof(HASHES[:size], index)
    assert [node.hex() for node in got] == path
    assert merkle.verify_inclusion(HASHES[index], index, size, got, bytes.fromhex(ROOTS[size]))
    assert not merkle.verify_inclusion(HASHES[index], index, size, got, bytes.fromhex(ROOTS[size - 1]))


def test_chunk_roots_form_the_upper_tree():
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(1000)]
    for bits in (0, 1, 3, 5, 9, 10):
        assert merkle.root(merkle.chunk_roots(leaves, bits)) == merkle.root(leaves)


def test_verification_rejects_nonsense_without_raising():
    leaf, root = HASHES[0], bytes.fromhex(ROOTS[8])
    path = [bytes.fromhex(h) for h in PATHS[0][2]]
    assert not merkle.verify_inclusion(leaf, 8, 8, path, root)
    assert not merkle.verify_inclusion(leaf, -1, 8, path, root)
    assert not merkle.verify_inclusion(leaf, 0, 0, [], root)
    assert not merkle.verify_inclusion(leaf, 0, 8, [*path, path[0]], root)
    assert not merkle.verify_inclusion(leaf, 0, 8, [b"short", *path[1:]], root)
    assert not merkle.verify_inclusion(leaf, 0, 8, [path[0]] * 65, root)
    assert not merkle.verify_inclusion(b"short", 0, 8, path, root)


trees = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_every_inclusion_proof_of_a_random_tree_verifies(data):
    hashes = [merkle.leaf_hash(d) for d in data]
    tree = merkle.levels(hashes)
    head = tree[-1][0]
    assert head == merkle.root(hashes)
    for index, leaf in enumerate(hashes):
        assert merkle.verify_inclusion(leaf, index, len(hashes), merkle.path_from_levels(tree, index), head)


def _flip(value: bytes, bit: int) -> bytes:
    bit %= 8 * len(value)
    return value[: bit // 8] + bytes([value[bit // 8] ^ (1 << (bit % 8))]) + value[bit // 8 + 1 :]


@settings(max_examples=300, deadline=None)
@given(trees, st.data())
def test_any_single_mutation_is_rejected(data, draw):
    hashes = [merkle.leaf_hash(d) for d in data]
    size = len(hashes)
    index = draw.draw(st.integers(0, size - 1))
    path = merkle.inclusion_proof(hashes, index)
    head = merkle.root(hashes)
    leaf = hashes[index]
    # The tree size is not bound by RFC 6962 hashes (a 3-leaf path also fits size 4), so it is no mutation target.
    kinds = ["leaf", "root", "index", "append", "data"]
    if path:
        kinds += ["path_bit", "path_drop", "path_swap"]
    kind = draw.draw(st.sampled_from(kinds))
    bit = draw.draw(st.integers(0, 255))
    args = [leaf, index, size, list(path), head]
    if kind == "leaf":
        args[0] = _flip(leaf, bit)
    elif kind == "data":
        args[0] = merkle.leaf_hash(data[index] + b"x")
    elif kind == "root":
        args[4] = _flip(head, bit)
    elif kind == "index":
        other = draw.draw(st.integers(-2, size + 2).filter(lambda i: i != index))
        # Two leaves with equal data have equal hashes: moving between them is not a forgery.
        if 0 <= other < size and hashes[other] == leaf and merkle.inclusion_proof(hashes, other) == path:
            return
        args[1] = other
    elif kind == "append":
        args[3] = [*path, draw.draw(st.binary(min_size=32, max_size=32))]
    elif kind == "path_bit":
        position = draw.draw(st.integers(0, len(path) - 1))
        args[3][position] = _flip(path[position], bit)
    elif kind == "path_drop":
        del args[3][draw.draw(st.integers(0, len(path) - 1))]
    elif kind == "path_swap":
        if len(path) < 2 or path[0] == path[-1]:
            args[3] = path[:-1]
        else:
            args[3][0], args[3][-1] = path[-1], path[0]
    assert merkle.verify_inclusion(*args) is False
