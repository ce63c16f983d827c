"""Page sizes, opaque keyset page tokens and common field checks shared by the list RPCs."""

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from voketag.errors import InvalidArgument

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("PAGE_SIZE_INVALID", "page_size must not be negative", fields={"page_size": ">= 0"})
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _fingerprint(filters: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_token(last_key: Sequence[Any], filters: Mapping[str, Any]) -> str:
    """A token naming the last row of a page; it is only valid with the same filters."""
    body = json.dumps({"k": list(last_key), "f": _fingerprint(filters)}, default=str)
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_token(token: str, filters: Mapping[str, Any]) -> list[Any] | None:
    if not token:
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key, fingerprint = body["k"], body["f"]
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad_token() from exc
    if fingerprint != _fingerprint(filters) or not isinstance(key, list):
        raise _bad_token()
    return key


def _bad_token() -> InvalidArgument:
    return InvalidArgument(
        "PAGE_TOKEN_INVALID",
        "page_token is not a token of this list with these filters",
        fields={"page_token": "use next_page_token of the previous call with the same filters"},
    )


def optional_uuid(value: str, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument("ID_INVALID", f"{field} must be a UUID", fields={field: "not a UUID"}) from exc


def required_uuid(value: str, field: str) -> uuid.UUID:
    parsed = optional_uuid(value, field)
    if parsed is None:
        raise InvalidArgument("ID_REQUIRED", f"{field} is required", fields={field: "required"})
    return parsed


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id(value: str) -> str:
    if not _REQUEST_ID.match(value):
        raise InvalidArgument(
            "REQUEST_ID_INVALID", "request_id is required (a UUID)", fields={"request_id": "1..64 chars, a UUID"}
        )
    return value


def request_hash(fields: Mapping[str, Any]) -> str:
    """Fingerprint of a create request, to tell a retry from a different request under the same id."""
    return _fingerprint(fields)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str


def paginate(items: list[T], limit: int, key: Callable[[T], Sequence[Any]], filters: Mapping[str, Any]) -> Page[T]:
    """``items`` holds up to limit + 1 rows: the extra one only says that another page exists."""
    if len(items) <= limit:
        return Page(items, "")
    kept = items[:limit]
    return Page(kept, encode_token(key(kept[-1]), filters))


def invalid(field: str, problem: str) -> InvalidArgument:
    return InvalidArgument("FIELD_INVALID", f"{field}: {problem}", fields={field: problem})
