"""C2SP signed notes, tlog checkpoints and Ed25519 cosignatures (c2sp.org/signed-note, tlog-checkpoint,
tlog-cosignature), the formats transparency-log tools and witnesses already read.

A note is text ending in a newline, a blank line, then one line per signature:
``— <key name> base64(4-byte key id || signature)``. A verifier key is published as
``<name>+<8 hex key id>+base64(<type byte> || public key)``; the key id is
SHA-256(name || "\\n" || type byte || public key)[:4]. Type 0x01 signs the note text itself (a log's
checkpoint); type 0x04 signs "cosignature/v1\\ntime <t>\\n" + the checkpoint text and carries the 8-byte
big-endian time before the signature (a witness cosignature).
"""

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"
# C2SP requires accepting at least 16 signatures; anything far beyond that is not a note of ours.
MAX_SIGNATURES = 64
MAX_NOTE_BYTES = 64 * 1024


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or whose signature does not verify."""


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A published verifier key: who signs (name + key id) and with what."""

    name: str
    key_type: int
    public_key: Ed25519PublicKey

    @cached_property  # a hash of the key: computed once, not for every receipt signed
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, _raw(self.public_key))

    def __str__(self) -> str:
        material = base64.b64encode(bytes([self.key_type]) + _raw(self.public_key)).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def parse(cls, vkey: str) -> "Verifier":
        """Parse ``<name>+<hex id>+<base64 key>``; the id must be the one the name and key give."""
        # Names never contain '+'; the base64 key may.
        name, sep, rest = vkey.strip().partition("+")
        hex_id, sep2, rest = rest.partition("+")
        if not sep or not sep2 or not _valid_name(name) or len(hex_id) != 8:
            raise NoteError("a verifier key reads <name>+<8 hex digits>+<base64 key>")
        try:
            material = base64.b64decode(rest, validate=True)
            wanted = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError) as exc:
            raise NoteError("verifier key: bad key id or base64 key") from exc
        if len(material) != 33 or material[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("verifier key: only Ed25519 keys (type 0x01 or 0x04) are supported")
        verifier = cls(name, material[0], Ed25519PublicKey.from_public_bytes(material[1:]))
        if verifier.key_id != wanted:
            raise NoteError("verifier key: the key id does not match the name and key")
        return verifier

    def verify(self, text: bytes, signature: bytes) -> int | None:
        """Check a signature (key id stripped) over note ``text``; the cosignature time (0 for a plain
        signature), or None when it does not verify."""
        if self.key_type == ED25519:
            message, timestamp, sig = text, 0, signature
        else:
            if len(signature) != 72:
                return None
            (timestamp,) = struct.unpack(">Q", signature[:8])
            if timestamp >= 1 << 63:
                return None
            message, sig = cosigned_message(text, timestamp), signature[8:]
        try:
            self.public_key.verify(sig, message)
        except InvalidSignature:
            return None
        return timestamp


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text


@dataclass(frozen=True)
class Signer:
    name: str
    private_key: Ed25519PrivateKey
    key_type: int = ED25519

    def __post_init__(self) -> None:
        if not _valid_name(self.name):
            raise NoteError("a key name must be non-empty, without spaces or '+'")

    @cached_property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_type, self.private_key.public_key())

    def line(self, text: bytes, timestamp: int = 0) -> str:
        """The signature line for note ``text`` (``timestamp`` only for a cosigner)."""
        if self.key_type == ED25519:
            body = self.private_key.sign(text)
        else:
            body = struct.pack(">Q", timestamp) + self.private_key.sign(cosigned_message(text, timestamp))
        return f"{DASH} {self.name} {base64.b64encode(self.verifier.key_id + body).decode()}\n"


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        return f"{DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


def parse(note: str) -> tuple[bytes, list[Signature]]:
    """Split a signed note into its text (with the final newline) and its signature lines."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError("note too large")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("a note must not contain control characters other than newline")
    text, sep, block = note.rpartition("\n\n")
    if not sep or not text or not block.endswith("\n"):
        raise NoteError("a note is text, a blank line, then signature lines ending in a newline")
    signatures = []
    for line in block[:-1].split("\n"):
        prefix, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if prefix != DASH or not _valid_name(name) or " " in encoded:
            raise NoteError("malformed signature line")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NoteError("signature is not base64") from exc
        if len(raw) < 5:
            raise NoteError("signature too short")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return (text + "\n").encode(), signatures


def open_note(note: str, verifiers: list[Verifier]) -> tuple[bytes, dict[str, int]]:
    """The text of a note and {signer name: time} for every known key that signed it.

    Signatures of unknown keys are ignored; a known key whose signature fails rejects the note, and so
    does a note that no known key signed (C2SP signed-note).
    """
    text, signatures = parse(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[str, int] = {}
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        timestamp = verifier.verify(text, signature.signature)
        if timestamp is None:
            raise NoteError(f"the signature of {signature.name} does not verify")
        verified[signature.name] = timestamp
    if not verified:
        raise NoteError("no known key signed this note")
    return text, verified


@dataclass(frozen=True)
class Checkpoint:
    """The text of a C2SP tlog checkpoint: origin, tree size, RFC 6962 root hash."""

    origin: str
    tree_size: int
    root_hash: bytes

    def text(self) -> bytes:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode()}\n".encode()

    def commitment(self) -> bytes:
        """What the anchoring aggregate tree holds for this checkpoint: SHA-256 of its text (32 bytes, the
        size of a batch root, so it is one more aggregate leaf)."""
        return hashlib.sha256(self.text()).digest()

    @classmethod
    def parse(cls, text: bytes) -> "Checkpoint":
        lines = text.decode().split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise NoteError("a checkpoint is at least three non-empty lines")
        origin, size, root = lines[:3]
        if not size.isdigit() or (size.startswith("0") and size != "0"):
            raise NoteError("checkpoint tree size must be a decimal without leading zeroes")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise NoteError("checkpoint root hash is not base64") from exc
        if len(root_hash) != 32:
            raise NoteError("checkpoint root hash must be 32 bytes")
        return cls(origin, int(size), root_hash)
