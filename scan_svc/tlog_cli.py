"""Third-party commands for the scan ledger, using only its public HTTP API and published keys (docs/ledger.md).

``voketag-ledger-check``: check the latest checkpoint's signature, its consistency with an older checkpoint
you kept, a scan receipt (offline signature, then inclusion in the checkpoint), and with an EVM node the
largest anchored checkpoint: signed by the log, in the aggregate tree, carried by a mined transaction, and
consistent with the latest. Exit 1 when a check fails, 2 when the log does not answer.

``voketag-ledger-witness``: a C2SP witness. Poll the log, check consistency from the last checkpoint it
cosigned, refuse and report a fork (exit 1), else cosign and submit the cosignature.
"""

import argparse
import asyncio
import base64
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from anchor_svc.chain import Chain, ChainUnavailable
from scan_svc.tlog import open_receipt
from voketag import merkle, note


class CheckFailed(Exception):
    pass


@dataclass(frozen=True)
class LogClient:
    base_url: str
    log_key: note.Verifier
    http: httpx.Client

    def checkpoint(self) -> tuple[note.Checkpoint, bytes, str]:
        """The latest checkpoint, its text and the whole note, once the log's signature verifies."""
        reply = self.http.get(f"{self.base_url}/v1/ledger/checkpoint", headers={"accept": "text/plain"})
        reply.raise_for_status()
        return self.open(reply.text)

    def open(self, signed: str) -> tuple[note.Checkpoint, bytes, str]:
        try:
            text, signers = note.open_note(signed, [self.log_key])
            checkpoint = note.Checkpoint.parse(text)
        except note.NoteError as exc:
            raise CheckFailed(f"checkpoint: {exc}") from exc
        if self.log_key.name not in signers or checkpoint.origin != self.log_key.name:
            raise CheckFailed("checkpoint: not signed by the log for its origin")
        return checkpoint, text, signed

    def consistent(self, old: note.Checkpoint, new: note.Checkpoint) -> bool:
        """Does the log prove that ``new`` extends ``old``? (RFC 9162 section 2.1.4.2)"""
        if old.tree_size >= new.tree_size:
            return old.tree_size == new.tree_size and old.root_hash == new.root_hash
        if old.tree_size == 0:
            return True
        reply = self.http.get(
            f"{self.base_url}/v1/ledger/consistency",
            params={"firstTreeSize": old.tree_size, "secondTreeSize": new.tree_size},
        )
        reply.raise_for_status()
        proof = [base64.b64decode(node) for node in reply.json()["proof"]]
        return merkle.verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)

    def included(self, leaf_index: int, leaf_hash: bytes, checkpoint: note.Checkpoint) -> bool:
        reply = self.http.get(
            f"{self.base_url}/v1/ledger/proofs/{leaf_index}", params={"treeSize": checkpoint.tree_size}
        )
        reply.raise_for_status()
        proof = [base64.b64decode(node) for node in reply.json()["proof"]]
        return merkle.verify_inclusion(leaf_hash, leaf_index, checkpoint.tree_size, proof, checkpoint.root_hash)

    def anchored(self) -> tuple[note.Checkpoint, dict[str, Any]]:
        """The largest anchored checkpoint, once it is signed by the log and sits in the aggregate tree."""
        reply = self.http.get(f"{self.base_url}/v1/anchors/ledger")
        if reply.status_code == 404:
            raise CheckFailed("anchoring: no ledger checkpoint is anchored yet")
        reply.raise_for_status()
        facts = reply.json()
        root = base64.b64decode(facts["rootHash"])
        anchored = note.Checkpoint(facts["origin"], int(facts["treeSize"]), root)
        if anchored.origin != self.log_key.name:
            raise CheckFailed("anchoring: the anchored checkpoint is of another log")
        signed = self.http.get(f"{self.base_url}/v1/ledger/checkpoint:note", params={"treeSize": anchored.tree_size})
        if signed.status_code != 200 or self.open(signed.text)[0] != anchored:
            raise CheckFailed(
                f"anchoring: the log has no signed checkpoint matching the anchored one at {anchored.tree_size}"
            )
        commitment = anchored.commitment()
        path = [base64.b64decode(node) for node in facts["aggregatePath"]]
        aggregate_root = base64.b64decode(facts["aggregateRoot"])
        if base64.b64decode(facts["commitment"]) != commitment or not merkle.verify_inclusion(
            merkle.leaf_hash(commitment),
            int(facts["aggregateIndex"]),
            int(facts["aggregateSize"]),
            path,
            aggregate_root,
        ):
            raise CheckFailed("anchoring: the checkpoint is not in the aggregate tree")
        return anchored, facts


async def chain_check(rpc_url: str, facts: dict[str, Any], sender: str | None) -> None:
    """The anchoring transaction is mined on the node and carries the aggregate root as its data."""
    try:
        chain = Chain(SecretStr(rpc_url), timeout_s=10)
    except ValueError as exc:
        raise CheckFailed(f"chain: --rpc {rpc_url}: {exc}") from exc
    try:
        chain_id = await chain.chain_id()
        tx = await chain.transaction(facts["txHash"])
        receipt = await chain.receipt(facts["txHash"])
    except ChainUnavailable as exc:
        raise CheckFailed(f"chain: the node does not answer: {exc}") from exc
    finally:
        await chain.close()
    if chain_id != int(facts["chainId"]):
        raise CheckFailed(f"chain: the node is on chain {chain_id}, the anchor on {facts['chainId']}")
    if tx is None or receipt is None or receipt.status != 1:
        raise CheckFailed(f"chain: transaction {facts['txHash']} is not mined")
    if tx.data != base64.b64decode(facts["aggregateRoot"]):
        raise CheckFailed("chain: the transaction does not carry the aggregate root")
    if sender is not None and tx.sender.lower() != sender.lower():
        raise CheckFailed(f"chain: the transaction was sent by {tx.sender}, not {sender}")


def check(
    client: LogClient, kept: str | None, receipt: str | None, rpc_url: str | None = None, sender: str | None = None
) -> dict[str, Any]:
    checkpoint, _, signed = client.checkpoint()
    report: dict[str, Any] = {"tree_size": checkpoint.tree_size, "signature": "ok", "checkpoint": signed}
    if rpc_url is not None:
        anchored, facts = client.anchored()
        asyncio.run(chain_check(rpc_url, facts, sender))
        if not client.consistent(anchored, checkpoint):
            raise CheckFailed(
                f"the log at {checkpoint.tree_size} is not consistent with its checkpoint anchored at "
                f"{anchored.tree_size}"
            )
        report["anchored"] = {
            "tree_size": anchored.tree_size,
            "tx_hash": facts["txHash"],
            "block": facts["blockNumber"],
        }
    if kept is not None:
        old, _, _ = client.open(kept)
        if not client.consistent(old, checkpoint):
            raise CheckFailed(
                f"the log at {checkpoint.tree_size} is not consistent with your checkpoint at {old.tree_size}"
            )
        report["consistent_from"] = old.tree_size
    if receipt is not None:
        try:
            scan = open_receipt(receipt, client.log_key)
        except note.NoteError as exc:
            raise CheckFailed(f"receipt: {exc}") from exc
        if scan.leaf_index >= checkpoint.tree_size:
            report["receipt"] = "signed; not in the latest checkpoint yet"
        elif not client.included(scan.leaf_index, scan.leaf_hash, checkpoint):
            raise CheckFailed(f"receipt: leaf {scan.leaf_index} is not in the checkpoint of {checkpoint.tree_size}")
        else:
            report["receipt"] = f"leaf {scan.leaf_index} included"
    return report


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", required=True, help="base URL of the VokeTag gateway, e.g. https://voketag.example")
    parser.add_argument("--log-key", required=True, help="the ledger's verifier key <name>+<hex id>+<base64 key>")


def check_main() -> None:
    """voketag-ledger-check: verify the scan ledger's checkpoint, consistency and a receipt from the outside."""
    parser = argparse.ArgumentParser(description=check_main.__doc__)
    _common(parser)
    parser.add_argument("--kept", type=Path, help="a checkpoint note you saved earlier: prove the log only grew")
    parser.add_argument("--receipt", type=Path, help="a scan receipt note: check it and its inclusion")
    parser.add_argument("--save", type=Path, help="write the verified checkpoint here (keep it for next time)")
    parser.add_argument("--rpc", help="EVM JSON-RPC URL: check the anchored checkpoint and its transaction")
    parser.add_argument("--sender", help="the anchoring address you trust")
    args = parser.parse_args()
    with httpx.Client(timeout=15) as http:
        client = LogClient(args.log.rstrip("/"), note.Verifier.parse(args.log_key), http)
        try:
            report = check(
                client,
                args.kept.read_text() if args.kept else None,
                args.receipt.read_text() if args.receipt else None,
                args.rpc,
                args.sender,
            )
        except CheckFailed as exc:
            print(json.dumps({"ok": False, "problem": str(exc)}))
            sys.exit(1)
        except httpx.HTTPError as exc:
            print(json.dumps({"ok": False, "problem": f"the log did not answer: {exc}"}))
            sys.exit(2)
    if args.save:
        args.save.write_text(report["checkpoint"])
    print(json.dumps({"ok": True, **report}))


@dataclass
class Witness:
    client: LogClient
    signer: note.Signer
    state: Path

    def step(self) -> dict[str, Any]:
        """One poll: cosign the latest checkpoint if it extends the last one seen, else report a fork."""
        checkpoint, text, _ = self.client.checkpoint()
        last = self._last()
        if last is not None and not self.client.consistent(last, checkpoint):
            return {
                "ok": False,
                "fork": True,
                "seen": {"tree_size": last.tree_size, "root_hash": base64.b64encode(last.root_hash).decode()},
                "offered": {
                    "tree_size": checkpoint.tree_size,
                    "root_hash": base64.b64encode(checkpoint.root_hash).decode(),
                },
            }
        line = self.signer.line(text, int(time.time()))
        reply = self.client.http.post(
            f"{self.client.base_url}/v1/ledger/checkpoint:cosign",
            json={"treeSize": checkpoint.tree_size, "cosignature": line},
        )
        reply.raise_for_status()
        self.state.write_text(text.decode())
        return {"ok": True, "cosigned": checkpoint.tree_size}

    def _last(self) -> note.Checkpoint | None:
        if not self.state.exists():
            return None
        return note.Checkpoint.parse(self.state.read_bytes())


def witness_main() -> None:
    """voketag-ledger-witness: cosign the scan ledger's checkpoints after checking they only grow."""
    parser = argparse.ArgumentParser(description=witness_main.__doc__)
    _common(parser)
    parser.add_argument("--name", required=True, help="the witness's key name (a schema-less URL)")
    parser.add_argument("--key", type=Path, required=True, help="the witness's Ed25519 private key (PEM)")
    parser.add_argument("--state", type=Path, required=True, help="file of the last checkpoint cosigned")
    parser.add_argument("--interval", type=float, default=0, help="seconds between polls; 0: poll once")
    parser.add_argument("--print-vkey", action="store_true", help="print the witness verifier key and exit")
    args = parser.parse_args()
    key = serialization.load_pem_private_key(args.key.read_bytes(), None)
    if not isinstance(key, Ed25519PrivateKey):
        parser.error("--key must be an Ed25519 private key")
    signer = note.Signer(args.name, key, note.COSIGNATURE_V1)
    if args.print_vkey:
        print(signer.verifier)
        return
    with httpx.Client(timeout=15) as http:
        witness = Witness(LogClient(args.log.rstrip("/"), note.Verifier.parse(args.log_key), http), signer, args.state)
        while True:
            try:
                outcome = witness.step()
            except (CheckFailed, httpx.HTTPError) as exc:
                # Not a fork: the log was unreachable or answered nonsense; try again at the next poll.
                outcome = {"ok": False, "problem": str(exc)}
            print(json.dumps(outcome), flush=True)
            if outcome.get("fork") or args.interval <= 0:
                sys.exit(0 if outcome["ok"] else 1)
            time.sleep(args.interval)
