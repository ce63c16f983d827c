"""voketag-verify-proof: check a product's proof bundle independently of VokeTag's database.

    voketag-verify-proof BUNDLE [--rpc URL] [--sender ADDRESS] [--token TOKEN] [--confirmations N]

BUNDLE is a file, "-" for stdin, or an http(s) URL (e.g. .../v1/merkle/proof?token=<TOKEN>); its JSON is the
GetMerkleProof or LookupMerkleProof response or the bare ProofBundle (proto3 JSON). Exit status: 0 when every
check passes, 1 when any check fails, 2 when the bundle cannot be read or the node does not answer.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path

import httpx
from google.protobuf import json_format
from pydantic import SecretStr

from anchor_svc import domain
from anchor_svc.chain import Chain, ChainUnavailable
from anchor_svc.domain import Check
from voketag.common.v1 import anchor_pb2


class Unusable(Exception):
    """The bundle could not be read or the node did not answer."""


def load_bundle(source: str) -> anchor_pb2.ProofBundle:
    try:
        if source.startswith(("http://", "https://")):
            response = httpx.get(source, timeout=10)
            response.raise_for_status()
            text = response.text
        elif source == "-":
            text = sys.stdin.read()
        else:
            text = Path(source).read_text()
        document = json.loads(text)
        if isinstance(document, dict) and "proof" in document:
            document = document["proof"]
        return json_format.ParseDict(document, anchor_pb2.ProofBundle())
    except (OSError, httpx.HTTPError, ValueError, json_format.ParseError) as exc:
        raise Unusable(f"cannot read the bundle from {source}: {exc}") from exc


async def chain_checks(
    bundle: anchor_pb2.ProofBundle, rpc_url: str, sender: str | None, confirmations: int
) -> list[Check]:
    try:
        chain = Chain(SecretStr(rpc_url), timeout_s=10)
    except ValueError as exc:
        raise Unusable(f"--rpc {rpc_url}: {exc}") from exc
    try:
        chain_id = await chain.chain_id()
        tx = await chain.transaction(bundle.tx_hash)
        receipt = await chain.receipt(bundle.tx_hash)
        head = await chain.block_number()
    except ChainUnavailable as exc:
        raise Unusable(f"the node at {rpc_url} does not answer: {exc}") from exc
    finally:
        await chain.close()
    checks = [
        Check("chain id", chain_id == bundle.chain_id, f"node on chain {chain_id}, bundle says {bundle.chain_id}")
    ]
    if tx is None or receipt is None or receipt.status != 1:
        checks.append(Check("transaction", False, f"{bundle.tx_hash} not found or not mined"))
        return checks
    checks.append(Check("transaction", True, f"{bundle.tx_hash} mined"))
    checks += [
        Check(
            "block",
            receipt.block_number == bundle.block_number,
            f"mined in block {receipt.block_number}, bundle says {bundle.block_number}",
        ),
        Check("sender", tx.sender == bundle.sender, f"sent by {tx.sender}, bundle says {bundle.sender}"),
        Check(
            "recipient",
            tx.to == (bundle.contract_address or bundle.sender),
            f"sent to {tx.to or '(contract creation)'}",
        ),
        Check("data", tx.data == bundle.aggregate_root, f"transaction input is {tx.data.hex() or '(empty)'}"),
    ]
    depth = head - receipt.block_number + 1
    checks.append(Check("confirmations", depth >= confirmations, f"{depth} confirmations, {confirmations} required"))
    if sender is not None:
        checks.append(Check("expected sender", tx.sender.lower() == sender.lower(), f"you expect {sender}"))
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voketag-verify-proof", description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", help="proof bundle: file, '-' for stdin, or http(s) URL")
    parser.add_argument("--rpc", help="EVM JSON-RPC endpoint; without it only the offline checks run")
    parser.add_argument("--sender", help="the anchoring address you trust (else the bundle's own sender is shown)")
    parser.add_argument("--token", help="the printed token, to check that it belongs to this leaf")
    parser.add_argument("--confirmations", type=int, default=1, help="confirmations required (default 1)")
    args = parser.parse_args(argv)
    try:
        bundle = load_bundle(args.bundle)
        checks = domain.offline_checks(bundle)
        if args.token:
            checks.append(domain.token_matches(bundle, args.token))
        if args.rpc:
            checks += asyncio.run(chain_checks(bundle, args.rpc, args.sender, args.confirmations))
    except Unusable as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2
    for check in checks:
        print(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    verdict = all(check.ok for check in checks)
    if verdict and not args.rpc:
        print("offline checks passed; pass --rpc to check the transaction on chain")
    elif verdict and args.sender is None:
        print(f"note: anchored by {bundle.sender}; pass --sender to insist on the address you trust")
    print(f"product {bundle.leaf.product_id}: {'VERIFIED' if verdict else 'NOT VERIFIED'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
