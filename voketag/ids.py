"""Checks of the identifiers every service receives: object ids, request ids and create-request fingerprints."""

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from voketag.errors import InvalidArgument

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def object_id(value: str, field: str = "id") -> str:
    """A UUID path or query parameter in its canonical text form; anything else (empty too) names no object of ours."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidArgument("INVALID_ID", f"{field} must be a UUID", fields={field: "not a UUID"}) from None


def optional_uuid(value: str, field: str) -> uuid.UUID | None:
    """An optional UUID field: empty means absent."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument("INVALID_ID", f"{field} must be a UUID", fields={field: "not a UUID"}) from None


def required_uuid(value: str, field: str) -> uuid.UUID:
    parsed = optional_uuid(value, field)
    if parsed is None:
        raise InvalidArgument("ID_REQUIRED", f"{field} is required", fields={field: "required"})
    return parsed


REQUEST_ID_RULE = "1..64 chars of [A-Za-z0-9._:-] (a UUID)"


def is_request_id(value: str) -> bool:
    return _REQUEST_ID.fullmatch(value) is not None


def request_id(value: str, field: str = "request_id") -> str:
    """The idempotency key of a Create (AIP-155): required, 1..64 URL-safe characters (a UUID fits)."""
    if not is_request_id(value):
        raise InvalidArgument("INVALID_REQUEST_ID", f"{field} must be {REQUEST_ID_RULE}", fields={field: "invalid"})
    return value


def request_hash(fields: Mapping[str, Any]) -> str:
    """Digest of a request's meaningful fields (request_id excluded): same body, same hash."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
