"""The scan ledger as a transparency log (docs/ledger.md): C2SP note formats against the published examples,
RFC 9162 proofs against an independent implementation written here from the RFC's recursive definitions,
scan receipts verified offline, witness cosignatures, and a rewritten history caught by a witness and by
voketag-ledger-check. The service parts run in a mesh of their own (a witness key configured) through Envoy."""

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from devmesh.mesh import Mesh, free_port
from scan_svc.settings import ScanSettings
from scan_svc.tlog import open_receipt, witnesses
from tests.anchor.conftest import make_batch
from tests.conftest import AUDIENCE, ISSUER
from tests.scan.conftest import Catalog, next_address
from tests.support import own_dependencies
from voketag import note
from voketag.auth import Role, TokenSigner
from voketag.tokens import KeyRing

ORIGIN = "test.voketag.example/scan-ledger"
WITNESS = "witness.test.example/w1"
BIN = Path(sys.executable).parent

# --- RFC 6962 section 2.1, written from the recursive definitions (independent of voketag.merkle) ---


def _mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if whole else [_mth(leaves)]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


def _b64(items: list[str]) -> list[bytes]:
    return [base64.b64decode(item) for item in items]


# --- formats against the published examples ---

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY_MATERIAL = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # golang.org/x/mod/sumdb/note example key
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
C2SP_COSIGNED = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+"
    "zyWE+xeMcTOAYQ8=\n"
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe"
    "+mbIUBkBIfZ+qnA==\n"
)


def test_signed_note_round_trip_against_the_go_example() -> None:
    verifier = note.Verifier.parse(GO_VKEY)
    assert str(verifier) == GO_VKEY
    text, signers = note.open_note(GO_TEXT + "\n" + GO_SIG, [verifier])
    assert (text.decode(), signers) == (GO_TEXT, {"PeterNeumann": 0})
    seed = base64.b64decode(GO_SKEY_MATERIAL)[1:]
    signer = note.Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))
    assert signer.line(GO_TEXT.encode()) == GO_SIG  # Ed25519 is deterministic: the same bytes as Go
    with pytest.raises(note.NoteError, match="does not verify"):
        note.open_note(GO_TEXT.replace("problem", "answer", 1) + "\n" + GO_SIG, [verifier])
    other = note.Signer("PeterNeumann", Ed25519PrivateKey.generate()).verifier
    with pytest.raises(note.NoteError, match="no known key"):
        note.open_note(GO_TEXT + "\n" + GO_SIG, [other])


@pytest.mark.parametrize(
    "bad",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # id that the name and key do not give
        GO_VKEY.replace("PeterNeumann", "Peter Neumann"),
        GO_VKEY[:-4],
        "PeterNeumann+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_mangled_verifier_keys_are_refused(bad: str) -> None:
    with pytest.raises(note.NoteError):
        note.Verifier.parse(bad)


def test_checkpoint_and_cosignature_match_the_c2sp_example() -> None:
    text, signatures = note.parse(C2SP_COSIGNED)
    checkpoint = note.Checkpoint.parse(text)
    assert (checkpoint.origin, checkpoint.tree_size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.text() == text
    assert [s.name for s in signatures] == ["example.com/behind-the-sofa", "witness.example.com/w1"]
    assert "".join(s.line for s in signatures) == C2SP_COSIGNED.split("\n\n")[1]
    # The cosignature's 8-byte timestamp is the one of the spec's signed-message example.
    cosignature = signatures[1].signature
    assert len(cosignature) == 72 and int.from_bytes(cosignature[:8], "big") == 1679315147
    assert note.cosigned_message(text, 1679315147).decode().startswith("cosignature/v1\ntime 1679315147\nexample.com/")


def test_cosignature_round_trip() -> None:
    witness = note.Signer(WITNESS, Ed25519PrivateKey.generate(), note.COSIGNATURE_V1)
    verifier = note.Verifier.parse(str(witness.verifier))
    body = note.Checkpoint(ORIGIN, 5, hashlib.sha256(b"x").digest()).text()
    signed = body.decode() + "\n" + witness.line(body, 1700000000)
    assert note.open_note(signed, [verifier])[1] == {WITNESS: 1700000000}
    moved = note.Checkpoint(ORIGIN, 6, hashlib.sha256(b"x").digest()).text().decode()
    with pytest.raises(note.NoteError):
        note.open_note(moved + "\n" + witness.line(body, 1700000000), [verifier])


def test_only_cosignature_keys_can_be_witnesses_and_origins_are_names() -> None:
    log_key = str(note.Signer(WITNESS, Ed25519PrivateKey.generate()).verifier)
    with pytest.raises(ValueError, match="0x04"):
        witnesses([log_key])
    assert [w.name for w in witnesses([str(note.Signer(WITNESS, WITNESS_KEY, note.COSIGNATURE_V1).verifier)])] == [
        WITNESS
    ]
    for origin in ("has space/log", "plus+log", "12345", ""):
        with pytest.raises(ValidationError):
            ScanSettings(database_url="postgresql://x/y", token_keys={}, ledger_origin=origin)


# --- the service, through Envoy ---


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


LOG_KEY = Ed25519PrivateKey.generate()
WITNESS_KEY = Ed25519PrivateKey.generate()
LOG_VKEY = str(note.Signer(ORIGIN, LOG_KEY).verifier)
WITNESS_VKEY = str(note.Signer(WITNESS, WITNESS_KEY, note.COSIGNATURE_V1).verifier)


@pytest.fixture(scope="module")
def tlog_deps(deps: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A database, Redis and chain of this module's own: its mesh seals, anchors and rewrites a ledger that no
    other mesh of the session may touch (nor its queue, nor its anchoring account's nonces)."""
    with own_dependencies(deps["DATABASE_URL"], tmp_path_factory.mktemp("tlog-deps"), "tlog") as urls:
        yield urls


@pytest.fixture(scope="module")
def tlog_mesh(tlog_deps: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    state = tmp_path_factory.mktemp("tlog-mesh")
    (state / "logs").mkdir()
    env = {
        "LEDGER_SIGNING_KEY": _pem(LOG_KEY),
        "LEDGER_ORIGIN": ORIGIN,
        "LEDGER_WITNESS_KEYS": json.dumps([WITNESS_VKEY]),
        "LEDGER_SEAL_INTERVAL_S": "0.1",
        "LEDGER_CHECKPOINT_INTERVAL_S": "0.2",
        "ANCHOR_CONFIRMATIONS": "1",
        "ANCHOR_TICK_S": "0.2",
    }
    urls = tlog_deps
    running = Mesh(state, urls["DATABASE_URL"], urls["REDIS_URL"], urls["ETH_RPC_URL"], free_port(), extra_env=env)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def base_url(tlog_mesh: Mesh) -> str:
    return f"http://127.0.0.1:{tlog_mesh.port}"


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(local_address=next_address())
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=15) as made:
        yield made


@pytest.fixture
async def db(tlog_mesh: Mesh) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(tlog_mesh.database_url, min_size=1, max_size=2) as pool:
        yield pool


@pytest.fixture
def tlog_catalog(db: asyncpg.Pool, tlog_mesh: Mesh) -> Catalog:
    return Catalog(db, KeyRing.from_config(tlog_mesh.token_keys, 1))


async def _scan(http: httpx.AsyncClient, catalog: Catalog, times: int = 1) -> list[dict[str, object]]:
    product = await catalog.product()
    replies = []
    for _ in range(times):
        reply = await http.post(f"/api/verify/{product['token']}", json={})
        assert reply.status_code == 200, reply.text
        replies.append(reply.json())
    return replies


async def _checkpoint_at_least(http: httpx.AsyncClient, size: int) -> tuple[note.Checkpoint, str]:
    """Wait until the log has signed a checkpoint of at least ``size`` leaves (the sealer runs every 0.1 s)."""
    for _ in range(300):
        reply = await http.get("/v1/ledger/checkpoint", headers={"accept": "text/plain"})
        if reply.status_code == 200:
            text, _ = note.open_note(reply.text, [note.Verifier.parse(LOG_VKEY)])
            checkpoint = note.Checkpoint.parse(text)
            if checkpoint.tree_size >= size:
                return checkpoint, reply.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"no checkpoint of {size} leaves was signed")


async def _leaves(db: asyncpg.Pool, size: int) -> list[bytes]:
    return [
        r["leaf_hash"] for r in await db.fetch("SELECT leaf_hash FROM scan_ledger WHERE seq <= $1 ORDER BY seq", size)
    ]


async def test_checkpoint_is_a_c2sp_note_and_json_stays(http: httpx.AsyncClient, tlog_catalog: Catalog, db) -> None:
    await _scan(http, tlog_catalog, 3)
    checkpoint, signed = await _checkpoint_at_least(http, 3)
    reply = await http.get("/v1/ledger/checkpoint", headers={"accept": "text/plain"})
    assert reply.headers["content-type"].startswith("text/plain")
    lines = reply.text.split("\n")
    assert lines[0] == ORIGIN and lines[1].isdigit() and lines[3] == "" and lines[4].startswith(f"— {ORIGIN} ")
    assert checkpoint.root_hash == _mth(await _leaves(db, checkpoint.tree_size))
    as_json = await http.get("/v1/ledger/checkpoint")
    assert as_json.headers["content-type"].startswith("application/json")
    assert int(as_json.json()["checkpoint"]["treeSize"]) >= checkpoint.tree_size
    forged = signed.replace(f"\n{checkpoint.tree_size}\n", f"\n{checkpoint.tree_size + 1}\n", 1)
    with pytest.raises(note.NoteError):
        note.open_note(forged, [note.Verifier.parse(LOG_VKEY)])


async def test_proofs_match_an_independent_rfc9162_implementation(
    http: httpx.AsyncClient, tlog_catalog: Catalog, db
) -> None:
    await _scan(http, tlog_catalog, 5)
    checkpoint, _ = await _checkpoint_at_least(http, 5)
    size = checkpoint.tree_size
    leaves = await _leaves(db, size)
    assert _mth(leaves) == checkpoint.root_hash
    for index in sorted({0, 1, size // 2, size - 2, size - 1}):
        reply = await http.get(f"/v1/ledger/proofs/{index}", params={"treeSize": size})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert base64.b64decode(body["leafHash"]) == leaves[index]
        assert _b64(body["proof"]) == _path(index, leaves)
    for first in sorted({1, 2, size // 2, size - 1}):
        reply = await http.get("/v1/ledger/consistency", params={"firstTreeSize": first, "secondTreeSize": size})
        assert reply.status_code == 200, reply.text
        assert _b64(reply.json()["proof"]) == _subproof(first, leaves, True)
    missing = await http.get(f"/v1/ledger/proofs/{size}", params={"treeSize": size})
    assert missing.status_code == 404 and "leafIndex" in missing.text.replace("leaf_index", "leafIndex")


async def test_receipt_verifies_offline_and_later_in_the_tree(
    http: httpx.AsyncClient, tlog_catalog: Catalog, db, base_url: str, tmp_path: Path
) -> None:
    (answer,) = await _scan(http, tlog_catalog)
    receipt = answer["receipt"]
    log_key = note.Verifier.parse(LOG_VKEY)
    opened = open_receipt(receipt["note"], log_key)
    assert opened.leaf_index == int(receipt["leafIndex"]) == int(answer["ledgerSequence"]) - 1
    assert opened.leaf_hash == base64.b64decode(receipt["leafHash"])
    # Altered or forged receipts fail offline.
    text, signature = receipt["note"].split("\n\n")
    altered = text.replace(f"\n{opened.leaf_index}\n", f"\n{opened.leaf_index + 1}\n") + "\n\n" + signature
    with pytest.raises(note.NoteError):
        open_receipt(altered, log_key)
    impostor = note.Signer(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(note.NoteError):
        open_receipt(text + "\n\n" + impostor.line((text + "\n").encode()), log_key)
    # Later: the leaf is in a signed checkpoint, with the hash the receipt promised.
    checkpoint, _ = await _checkpoint_at_least(http, opened.leaf_index + 1)
    leaves = await _leaves(db, checkpoint.tree_size)
    assert leaves[opened.leaf_index] == opened.leaf_hash
    proof = await http.get(receipt["proofPath"], params={"treeSize": checkpoint.tree_size})
    assert _b64(proof.json()["proof"]) == _path(opened.leaf_index, leaves)
    again = await http.get(f"/v1/ledger/receipts/{opened.leaf_index}")
    assert again.json()["receipt"]["note"] == receipt["note"]
    # The check command does both steps: the signature offline, then inclusion in the latest checkpoint.
    (tmp_path / "receipt").write_text(receipt["note"])
    (tmp_path / "altered").write_text(altered)
    check = ("voketag-ledger-check", "--log", base_url, "--log-key", LOG_VKEY, "--receipt")
    status, report = await asyncio.to_thread(_run, *check, str(tmp_path / "receipt"))
    assert (status, report["receipt"]) == (0, f"leaf {opened.leaf_index} included")
    status, report = await asyncio.to_thread(_run, *check, str(tmp_path / "altered"))
    assert (status, report["ok"]) == (1, False) and "receipt" in str(report["problem"])
    # The consumer page links to the receipt.
    product = await tlog_catalog.product()
    page = await http.get(f"/r/{product['token']}")
    assert "/v1/ledger/receipts/" in page.text


async def _anchor_a_batch(db: asyncpg.Pool, http: httpx.AsyncClient, mesh: Mesh) -> dict[str, object]:
    """Anchor a new batch through the public API; the ledger's latest checkpoint joins its aggregate tree."""
    async with db.acquire() as conn:
        batch_id = await make_batch(conn, 4)
    admin = TokenSigner(mesh.signing_key, "dev", ISSUER, AUDIENCE).mint("admin-1", Role.ADMIN)
    reply = await http.post("/v1/anchor", json={"batchId": batch_id}, headers={"authorization": f"Bearer {admin}"})
    assert reply.status_code == 200, reply.text
    for _ in range(600):
        anchored = await http.get("/v1/anchors/ledger")
        if anchored.status_code == 200:
            return anchored.json()
        assert anchored.status_code == 404, anchored.text
        await asyncio.sleep(0.1)
    raise AssertionError("the ledger checkpoint was not anchored")


async def test_bad_ledger_requests_are_clear_errors(http: httpx.AsyncClient) -> None:
    for path, params, status, field in [
        ("/v1/ledger/receipts/999999999", {}, 404, "leaf_index"),
        ("/v1/ledger/proofs/999999999", {}, 404, "leaf_index"),
        ("/v1/ledger/checkpoint:note", {"treeSize": 999999999}, 404, "tree_size"),
        ("/v1/ledger/proofs/1", {"treeSize": 999999999}, 404, "tree_size"),
        ("/v1/ledger/receipts/-1", {}, 400, ""),
        ("/v1/anchors/ledger", {"treeSize": 999999999}, 404, "tree_size"),
    ]:
        reply = await http.get(path, params=params)
        assert reply.status_code == status, (path, reply.text)
        assert field in reply.text.replace("leafIndex", "leaf_index").replace("treeSize", "tree_size")


def _run(command: str, *args: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run([str(BIN / command), *args], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def _witness(base_url: str, key: Path, state: Path) -> tuple[int, dict[str, object]]:
    return _run(
        "voketag-ledger-witness",
        *("--log", base_url, "--log-key", LOG_VKEY, "--name", WITNESS, "--key", str(key), "--state", str(state)),
    )


async def test_cosignature_endpoint_refuses_bad_input(http: httpx.AsyncClient, tlog_catalog: Catalog) -> None:
    await _scan(http, tlog_catalog)
    checkpoint, _ = await _checkpoint_at_least(http, 1)
    stranger = note.Signer(WITNESS, Ed25519PrivateKey.generate(), note.COSIGNATURE_V1)
    for line, status in [
        ("", 400),
        ("not a signature line", 400),
        (stranger.line(checkpoint.text(), 1), 400),
    ]:
        reply = await http.post(
            "/v1/ledger/checkpoint:cosign", json={"treeSize": checkpoint.tree_size, "cosignature": line}
        )
        assert reply.status_code == status, reply.text
        assert "cosignature" in reply.text
    witness = note.Signer(WITNESS, WITNESS_KEY, note.COSIGNATURE_V1)
    wrong_size = await http.post(
        "/v1/ledger/checkpoint:cosign",
        json={"treeSize": 10**9, "cosignature": witness.line(checkpoint.text(), 1)},
    )
    assert wrong_size.status_code == 404


async def test_checkpoint_anchored_with_the_batches_verifies_against_the_chain(
    http: httpx.AsyncClient, tlog_catalog: Catalog, db, base_url: str, tlog_mesh: Mesh, tlog_deps: dict[str, str]
) -> None:
    await _scan(http, tlog_catalog, 2)
    before, _ = await _checkpoint_at_least(http, 2)
    facts = await _anchor_a_batch(db, http, tlog_mesh)
    assert int(facts["treeSize"]) >= before.tree_size and facts["origin"] == ORIGIN
    anchored = note.Checkpoint(ORIGIN, int(facts["treeSize"]), base64.b64decode(facts["rootHash"]))
    assert base64.b64decode(facts["commitment"]) == hashlib.sha256(anchored.text()).digest()
    # The transaction's data on the node is the aggregate root that holds the commitment (checked here by hand).
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionByHash", "params": [facts["txHash"]]}
    tx = (await http.post(tlog_deps["ETH_RPC_URL"], json=call)).json()["result"]
    assert bytes.fromhex(tx["input"][2:]) == base64.b64decode(facts["aggregateRoot"])
    await _scan(http, tlog_catalog)
    status, report = await asyncio.to_thread(
        _run, "voketag-ledger-check", "--log", base_url, "--log-key", LOG_VKEY, "--rpc", tlog_deps["ETH_RPC_URL"]
    )
    assert (status, report["ok"]) == (0, True), report
    assert report["anchored"]["tree_size"] == anchored.tree_size


async def test_witness_cosigns_then_refuses_a_rewritten_history(
    http: httpx.AsyncClient, tlog_catalog: Catalog, db, base_url: str, tmp_path: Path, tlog_deps: dict[str, str]
) -> None:
    key_file, state = tmp_path / "witness.pem", tmp_path / "witness-state"
    key_file.write_text(_pem(WITNESS_KEY))
    await _scan(http, tlog_catalog, 2)
    first, kept = await _checkpoint_at_least(http, 2)
    (tmp_path / "kept").write_text(kept)
    status, outcome = await asyncio.to_thread(_witness, base_url, key_file, state)
    assert (status, outcome["ok"]) == (0, True)
    cosigned = (await http.get("/v1/ledger/checkpoint:note", params={"treeSize": outcome["cosigned"]})).text
    verifiers = [note.Verifier.parse(LOG_VKEY), note.Verifier.parse(WITNESS_VKEY)]
    assert set(note.open_note(cosigned, verifiers)[1]) == {ORIGIN, WITNESS}
    # The log grows: the witness checks consistency and cosigns again; the check command agrees.
    await _scan(http, tlog_catalog, 2)
    await _checkpoint_at_least(http, int(outcome["cosigned"]) + 2)  # type: ignore[call-overload]
    status, outcome = await asyncio.to_thread(_witness, base_url, key_file, state)
    assert (status, outcome["ok"]) == (0, True)
    status, report = await asyncio.to_thread(
        _run, "voketag-ledger-check", "--log", base_url, "--log-key", LOG_VKEY, "--kept", str(tmp_path / "kept")
    )
    assert (status, report["ok"], report["consistent_from"]) == (0, True, first.tree_size)

    # The operator rewrites the first scan in SQL and re-seals the whole ledger with the real key.
    seen = note.Checkpoint.parse(state.read_bytes())
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE scans SET country = 'XX' WHERE ledger_seq = 1")
        await conn.execute("DELETE FROM scan_ledger_cosignatures")
        await conn.execute("DELETE FROM scan_ledger_checkpoints")
        await conn.execute("DELETE FROM scan_ledger")
        await conn.execute("DELETE FROM scan_ledger_nodes")
        await conn.execute(
            "UPDATE scan_ledger_state SET tree_size = 0, head_hash = '\\x', frontier = '{}', nodes_size = 0"
        )
    rewritten, _ = await _checkpoint_at_least(http, seen.tree_size)
    assert rewritten.root_hash != _mth([])
    status, outcome = await asyncio.to_thread(_witness, base_url, key_file, state)
    assert (status, outcome["ok"], outcome["fork"]) == (1, False, True)
    assert note.Checkpoint.parse(state.read_bytes()) == seen  # the witness kept its view
    notes = (await http.get("/v1/ledger/checkpoint", headers={"accept": "text/plain"})).text
    assert WITNESS not in notes  # nothing cosigned the rewritten history
    status, report = await asyncio.to_thread(
        _run, "voketag-ledger-check", "--log", base_url, "--log-key", LOG_VKEY, "--kept", str(tmp_path / "kept")
    )
    assert (status, report["ok"]) == (1, False)
    assert "not consistent" in str(report["problem"])
    # Without any kept checkpoint, the anchored one on chain exposes the rewrite too.
    status, report = await asyncio.to_thread(
        _run, "voketag-ledger-check", "--log", base_url, "--log-key", LOG_VKEY, "--rpc", tlog_deps["ETH_RPC_URL"]
    )
    assert (status, report["ok"]) == (1, False)
    assert "anchor" in str(report["problem"])
