"""Field checks shared by the admin RPCs (ids, request ids, create-request fingerprints)."""

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from voketag.errors import InvalidArgument


def optional_uuid(value: str, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument("INVALID_ID", f"{field} must be a UUID", fields={field: "not a UUID"}) from exc


def required_uuid(value: str, field: str) -> uuid.UUID:
    parsed = optional_uuid(value, field)
    if parsed is None:
        raise InvalidArgument("ID_REQUIRED", f"{field} is required", fields={field: "required"})
    return parsed


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id(value: str) -> str:
    if not _REQUEST_ID.fullmatch(value):
        raise InvalidArgument(
            "INVALID_REQUEST_ID", "request_id is required (a UUID)", fields={"request_id": "1..64 chars, a UUID"}
        )
    return value


def request_hash(fields: Mapping[str, Any]) -> str:
    """Fingerprint of a create request, to tell a retry from a different request under the same id."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


def invalid(field: str, problem: str) -> InvalidArgument:
    return InvalidArgument("INVALID_FIELD", f"{field}: {problem}", fields={field: problem})
