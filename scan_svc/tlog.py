"""The scan ledger in transparency-log formats: C2SP checkpoints with witness cosignatures, RFC 9162
inclusion proofs and signed scan receipts (docs/ledger.md).

A receipt is a signed note whose text is ``scan-receipt/v1``, the log origin, the leaf index, the base64
leaf hash and the scan's Unix time, one per line, signed with the ledger's checkpoint key. It is the log's
promise that the leaf is (or will be, once sealed) in the tree: a receipt whose leaf never shows up in an
inclusion proof is evidence against the log.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from scan_svc.ledger import scan_leaf, stored_hashes
from scan_svc.model import LedgerScan, NoteCheckpoint
from scan_svc.storage import LedgerStore
from voketag import merkle, note
from voketag.errors import InvalidArgument, NotFound

RECEIPT_HEADER = "scan-receipt/v1"
COSIGNATURE_MAX = 1000


@dataclass(frozen=True)
class Receipt:
    leaf_index: int
    leaf_hash: bytes
    scanned_at: datetime
    note: str


def receipt_text(origin: str, leaf_index: int, leaf_hash: bytes, scanned_at: datetime) -> bytes:
    stamp = int(scanned_at.timestamp())
    return f"{RECEIPT_HEADER}\n{origin}\n{leaf_index}\n{base64.b64encode(leaf_hash).decode()}\n{stamp}\n".encode()


def open_receipt(signed: str, log_key: note.Verifier) -> Receipt:
    """Check a receipt offline against the log's verifier key; raises note.NoteError when it does not hold."""
    text, _ = note.open_note(signed, [log_key])
    lines = text.decode().split("\n")
    if len(lines) != 6 or lines[0] != RECEIPT_HEADER or lines[1] != log_key.name:
        raise note.NoteError("not a scan receipt of this log")
    index, leaf, stamp = lines[2], lines[3], lines[4]
    if not index.isdigit() or not stamp.isdigit():
        raise note.NoteError("malformed scan receipt")
    leaf_hash = base64.b64decode(leaf)
    if len(leaf_hash) != merkle.HASH_SIZE:
        raise note.NoteError("malformed scan receipt")
    return Receipt(int(index), leaf_hash, datetime.fromtimestamp(int(stamp), UTC), signed)


class Transparency:
    def __init__(self, store: LedgerStore, signer: note.Signer, witnesses: list[note.Verifier]) -> None:
        self._store = store
        self.signer = signer
        self._witnesses = witnesses

    @property
    def origin(self) -> str:
        return self.signer.name

    def receipt(self, scan: LedgerScan) -> Receipt:
        """The receipt of a stored scan row (what the sealer will hash into the ledger)."""
        return self._receipt(scan.ledger_seq - 1, scan_leaf(scan), scan.scanned_at)

    def _receipt(self, index: int, leaf: bytes, scanned_at: datetime) -> Receipt:
        return Receipt(index, leaf, scanned_at, self._sign(receipt_text(self.origin, index, leaf, scanned_at)))

    def _sign(self, text: bytes) -> str:
        return text.decode() + "\n" + self.signer.line(text)

    def _note(self, row: NoteCheckpoint) -> str:
        body = note.Checkpoint(row.origin, row.tree_size, row.root_hash).text()
        # The origin the checkpoint was signed under (LEDGER_ORIGIN may have changed since).
        signed_by = note.Verifier(row.origin, note.ED25519, self.signer.private_key.public_key())
        log_line = note.Signature(signed_by.name, signed_by.key_id, row.note_signature).line
        return body.decode() + "\n" + log_line + "".join(row.cosignatures)

    async def receipt_at(self, leaf_index: int) -> Receipt:
        entry = await self._store.entry(self._store.pool, leaf_index + 1)
        if entry is None:
            raise NotFound("NOT_FOUND", "no scan has this leaf index", fields={"leaf_index": "unknown"})
        if entry.leaf_hash is None:
            return self.receipt(entry.scan)
        # Sealed: promise what the ledger holds, never a hash of the row as it may read now.
        return self._receipt(leaf_index, entry.leaf_hash, entry.scan.scanned_at)

    async def _stored(self, tree_size: int) -> NoteCheckpoint:
        row = await self._store.note_checkpoint(self._store.pool, tree_size)
        if row is None:
            if tree_size:
                raise NotFound("NOT_FOUND", "no checkpoint of this tree size", fields={"tree_size": "no checkpoint"})
            raise NotFound("NOT_FOUND", "the ledger has no signed checkpoint yet")
        return row

    async def checkpoint(self, tree_size: int = 0) -> str:
        return self._note(await self._stored(tree_size))

    async def inclusion(self, leaf_index: int, tree_size: int) -> tuple[int, bytes, list[bytes], str]:
        """(tree size, leaf hash, RFC 9162 proof, checkpoint note) of a leaf in a stored checkpoint."""
        row = await self._stored(tree_size)
        size = row.tree_size
        if leaf_index >= size:
            raise NotFound(
                "NOT_FOUND",
                "the leaf is not in this checkpoint (yet)",
                fields={"leaf_index": f"must be below the tree size {size}"},
            )
        (leaf,), proof = await stored_hashes(
            self._store, self._store.pool, [[(0, leaf_index)]], merkle.inclusion_nodes(leaf_index, size)
        )
        return size, leaf, proof, self._note(row)

    async def cosign(self, tree_size: int, line: str) -> str:
        """Store a configured witness's cosignature of the checkpoint of ``tree_size`` once it verifies."""
        if not line or len(line) > COSIGNATURE_MAX:
            raise InvalidArgument(
                "INVALID_FIELD", "a cosignature line is needed", fields={"cosignature": "1-1000 chars"}
            )
        if tree_size == 0:
            raise InvalidArgument("INVALID_FIELD", "name the cosigned checkpoint", fields={"tree_size": "required"})
        row = await self._stored(tree_size)
        body = note.Checkpoint(row.origin, row.tree_size, row.root_hash).text()
        try:
            _, signatures = note.parse(body.decode() + "\n" + line.rstrip("\n") + "\n")
        except note.NoteError as exc:
            raise InvalidArgument("INVALID_FIELD", str(exc), fields={"cosignature": "one C2SP signature line"}) from exc
        if len(signatures) != 1:
            raise InvalidArgument("INVALID_FIELD", "one signature line", fields={"cosignature": "exactly one line"})
        signature = signatures[0]
        witness = next((w for w in self._witnesses if (w.name, w.key_id) == (signature.name, signature.key_id)), None)
        if witness is None:
            raise InvalidArgument(
                "INVALID_FIELD", "not a configured witness key", fields={"cosignature": "unknown key"}
            )
        timestamp = witness.verify(body, signature.signature)
        if timestamp is None:
            raise InvalidArgument(
                "INVALID_FIELD",
                "the cosignature does not verify over this checkpoint",
                fields={"cosignature": "bad signature"},
            )
        await self._store.add_cosignature(
            self._store.pool, tree_size, witness.name, signature.line, datetime.fromtimestamp(timestamp, UTC)
        )
        return await self.checkpoint(tree_size)


def witnesses(vkeys: list[str]) -> list[note.Verifier]:
    """Parse the configured witness keys; each must be an Ed25519 cosignature key (type 0x04)."""
    parsed = [note.Verifier.parse(vkey) for vkey in vkeys]
    for verifier in parsed:
        if verifier.key_type != note.COSIGNATURE_V1:
            raise ValueError(f"witness key {verifier.name} is not a cosignature/v1 key (type 0x04)")
    return parsed
