"""Pure rules of the factory service: validation and ownership scope (ids and request ids: voketag.ids)."""

import os
import re
import time
from collections.abc import Iterator, Mapping

from asyncpg.pgproto.pgproto import UUID as PgUUID

from voketag.auth import FACTORY_WRITERS, Principal, Role
from voketag.errors import InvalidArgument, NotFound, PermissionDenied
from voketag.ids import object_id
from voketag.limits import LIMITS

MAX_QUANTITY = LIMITS["voketag.factory.v1.CreateBatchRequest.quantity"].high
BATCH_METADATA_ENTRIES = 32
PRODUCT_METADATA_ENTRIES = 16
METADATA_VALUE_CHARS = 256
METADATA_TOTAL_BYTES = 8 * 1024
REASON_CHARS = LIMITS["voketag.factory.v1.RevokeBatchRequest.reason"].high
PRODUCT_LINE_CHARS = LIMITS["voketag.factory.v1.CreateBatchRequest.product_line"].high
PRODUCT_NAME_CHARS = LIMITS["voketag.factory.v1.CreateBatchRequest.product_name"].high
EXTERNAL_ID_CHARS = 128
MAX_OPEN_S = 7 * 24 * 3600

_SKU = re.compile(r"[A-Za-z0-9._-]{1,64}")
METADATA_KEY = re.compile(r"[a-z][a-z0-9_.-]{0,62}")


def sku(value: str, field: str = "sku") -> str:
    if not _SKU.fullmatch(value):
        raise InvalidArgument("INVALID_SKU", "sku must be 1..64 chars of [A-Za-z0-9._-]", fields={field: "invalid"})
    return value


def text(value: str, field: str, max_chars: int, *, required: bool = True) -> str:
    if (required and not value.strip()) or len(value) > max_chars or "\x00" in value:
        need = f"1..{max_chars}" if required else f"at most {max_chars}"
        raise InvalidArgument("INVALID_FIELD", f"{field} must be {need} chars", fields={field: f"{need} chars"})
    return value


def reason(value: str) -> str:
    return text(value, "reason", REASON_CHARS)


def public_reason(value: str) -> str:
    return text(value, "public_reason", REASON_CHARS, required=False)


def open_for(seconds: int, nanos: int) -> int:
    """Seconds a new batch stays open for additions (0: sealed at once)."""
    if nanos or not 0 <= seconds <= MAX_OPEN_S:
        raise InvalidArgument(
            "INVALID_FIELD",
            f"open_for must be whole seconds, at most {MAX_OPEN_S} (7 days)",
            fields={"open_for": f"0..{MAX_OPEN_S} whole seconds"},
        )
    return seconds


def quantity(value: int) -> int:
    if not 1 <= value <= MAX_QUANTITY:
        raise InvalidArgument(
            "INVALID_QUANTITY", f"quantity must be 1..{MAX_QUANTITY:,}", fields={"quantity": "out of range"}
        )
    return value


def metadata(
    values: Mapping[str, str], max_entries: int, field: str = "metadata", reserved: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Checked metadata; ``reserved`` keys (e.g. the CSV export's own columns) are refused."""
    if len(values) > max_entries:
        raise InvalidArgument("INVALID_METADATA", f"at most {max_entries} metadata entries", fields={field: "too many"})
    total = 0
    for key, value in values.items():
        if not METADATA_KEY.fullmatch(key) or key in reserved:
            raise InvalidArgument(
                "INVALID_METADATA",
                f"metadata key {key[:70]!r} must be 1..63 chars of [a-z0-9_.-] starting with a letter"
                " and not a CSV column name",
                fields={f"{field}[{key[:70]}]": "invalid key"},
            )
        if len(value) > METADATA_VALUE_CHARS or "\x00" in value:
            raise InvalidArgument(
                "INVALID_METADATA",
                f"metadata value of {key!r} must be at most {METADATA_VALUE_CHARS} chars without NUL",
                fields={f"{field}[{key}]": "invalid value"},
            )
        total += len(key.encode()) + len(value.encode())
    if total > METADATA_TOTAL_BYTES:
        raise InvalidArgument("INVALID_METADATA", "metadata exceeds 8 KiB in total", fields={field: "too large"})
    return dict(values)


def external_id(value: str, field: str = "external_id") -> str:
    if len(value) > EXTERNAL_ID_CHARS or not value.isprintable():
        raise InvalidArgument(
            "INVALID_EXTERNAL_ID",
            f"external_id must be at most {EXTERNAL_ID_CHARS} printable chars",
            fields={field: "invalid"},
        )
    return value


def scope(principal: Principal | None) -> str | None:
    """The only factory a caller may see, or None for staff (admin, auditor) who see every factory."""
    if principal is None or principal.role in (Role.ADMIN, Role.AUDITOR):
        return None
    return principal.factory_id


def owner(principal: Principal | None, requested: str) -> str:
    """The factory a Create acts for: staff name it; factory accounts default to (and must equal) their own.

    Another factory than the caller's is NOT_FOUND, like every other object outside the caller's scope.
    """
    own = scope(principal)
    if own is None:
        if not requested:
            raise InvalidArgument("FACTORY_REQUIRED", "admins must name factory_id", fields={"factory_id": "required"})
        return object_id(requested, "factory_id")
    if requested and requested != own:
        raise NotFound("FACTORY_NOT_FOUND", "no such factory")
    return own


def product_ids(count: int, chunk: int = 8192) -> Iterator[PgUUID]:
    """UUIDv7 ids (RFC 9562, method 1: a counter in rand_a and the top of rand_b), ascending within a batch.

    Ascending ids append to the products primary key instead of splitting random b-tree pages, which keeps
    COPY of a million products close to the raw COPY rate. The low 42 bits stay random per batch call.
    """
    prefix = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | 0b10 << 62
    tail = int.from_bytes(os.urandom(6), "big") & ((1 << 42) - 1)
    for start in range(0, count, chunk):
        for counter in range(start, min(start + chunk, count)):
            value = prefix | (counter >> 20) << 64 | (counter & 0xFFFFF) << 42 | tail
            yield PgUUID(value.to_bytes(16, "big"))


def check_token_reader(principal: Principal | None) -> None:
    """Tokens are what counterfeiters print: only the roles that print labels may read them (the caller's
    factory scope is checked by the lookup); the auditor and everyone else get fingerprints only."""
    if principal is None or principal.role not in FACTORY_WRITERS:
        raise PermissionDenied(
            "ROLE_FORBIDDEN",
            "only admins and the factory's operators and service accounts may read tokens",
            fields={"view": "PRODUCT_VIEW_FULL not allowed for this role"},
        )
