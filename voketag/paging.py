"""List RPCs: page sizes and opaque keyset page tokens, one format for every service.

A token holds the sort key of a page's last row and a fingerprint of the filters it was issued for, so a
token replayed with other filters is refused rather than silently skipping or repeating rows.
"""

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from voketag.errors import InvalidArgument

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# Tokens we issue are far shorter; a longer one is refused before it is decoded.
MAX_TOKEN_CHARS = 1024


def page_size(requested: int) -> int:
    """0 means the default (50); more than 1000 is capped; negative is an error."""
    if requested < 0:
        raise InvalidArgument("PAGE_SIZE_INVALID", "page_size must not be negative", fields={"page_size": ">= 0"})
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _fingerprint(filters: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_token(last_key: Sequence[Any], filters: Mapping[str, Any]) -> str:
    """A token naming the last row of a page; it is only valid with the same filters."""
    body = json.dumps({"k": list(last_key), "f": _fingerprint(filters)}, default=str)
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def text(value: Any) -> str:
    """Shape check for a string element of a page-token key."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def decode_token(token: str, filters: Mapping[str, Any], shape: Sequence[Callable[[Any], object]]) -> list[Any] | None:
    """The sort key a token names, or None for the first page.

    ``shape`` parses each element of the key the way the caller will use it (e.g. datetime.fromisoformat,
    uuid.UUID, int, text): tokens are not signed, so a hand-made one must fail here as PAGE_TOKEN_INVALID,
    not later as an internal error.
    """
    if not token:
        return None
    if len(token) > MAX_TOKEN_CHARS:
        raise bad_token()
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key, fingerprint = body["k"], body["f"]
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_token() from exc
    if fingerprint != _fingerprint(filters) or not isinstance(key, list) or len(key) != len(shape):
        raise bad_token()
    try:
        for parse, value in zip(shape, key, strict=True):
            parse(value)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise bad_token() from exc
    return key


def bad_token() -> InvalidArgument:
    return InvalidArgument(
        "PAGE_TOKEN_INVALID",
        "page_token is not a token of this list with these filters",
        fields={"page_token": "use next_page_token of the previous call with the same filters"},
    )


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
