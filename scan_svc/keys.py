"""Secrets of the scan service: configured ones, or (development) ones derived from the token signing key.

Deriving with HKDF keeps a development mesh to one secret (TOKEN_KEYS) while the values stay stable
across restarts; production sets DEVICE_SALT and LEDGER_SIGNING_KEY.
"""

import base64
import logging

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from scan_svc.settings import LedgerVerifySettings, ScanSettings

log = logging.getLogger("scan_svc.keys")


def _derived(settings: ScanSettings | LedgerVerifySettings, label: str) -> bytes:
    secret = settings.token_keys.get(str(settings.token_signing_key_id))
    if secret is None:
        raise ValueError(f"{label} is not configured and there is no signing token key to derive it from")
    log.warning("using a secret derived from the token signing key", extra={"secret": label})
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"voketag/scan/{label}/v1".encode())
    return hkdf.derive(base64.b64decode(secret.get_secret_value()))


def device_salt(settings: ScanSettings) -> bytes:
    if settings.device_salt is not None:
        return settings.device_salt.get_secret_value().encode()
    return _derived(settings, "device_salt")


def ledger_key(settings: ScanSettings | LedgerVerifySettings) -> Ed25519PrivateKey:
    if settings.ledger_signing_key is not None:
        key = serialization.load_pem_private_key(settings.ledger_signing_key.get_secret_value().encode(), None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("LEDGER_SIGNING_KEY must be an Ed25519 private key (PEM)")
        return key
    return Ed25519PrivateKey.from_private_bytes(_derived(settings, "ledger_signing_key"))


def ledger_public_key(settings: LedgerVerifySettings) -> Ed25519PublicKey | None:
    """The key checkpoints are checked with: LEDGER_PUBLIC_KEY, else the signing key's (configured or derived);
    None when none of them is set (the check then says that signatures were not checked)."""
    if settings.ledger_public_key is not None:
        key = serialization.load_pem_public_key(settings.ledger_public_key.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("LEDGER_PUBLIC_KEY must be an Ed25519 public key (PEM)")
        return key
    if settings.ledger_signing_key is None and str(settings.token_signing_key_id) not in settings.token_keys:
        return None
    return ledger_key(settings).public_key()
