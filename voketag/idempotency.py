"""The one idempotency rule of every Create (AIP-155), whichever table keeps the request ids.

A request id seen before answers what the first request made, when the body is the same; the same id with
another body is refused as REQUEST_ID_REUSED (ALREADY_EXISTS), so a client bug never silently returns
someone else's object.
"""

from typing import TypeVar

from voketag.errors import AlreadyExists

T = TypeVar("T")


def reused(kind: str) -> AlreadyExists:
    return AlreadyExists(
        "REQUEST_ID_REUSED",
        f"request_id was already used for a different {kind} request; use a new request_id for new work",
        fields={"request_id": "already used with a different body"},
    )


def replay(kind: str, earlier: T, earlier_hash: str, request_hash: str) -> T:
    """What the earlier request under this request id made, when it was this same request."""
    if earlier_hash != request_hash:
        raise reused(kind)
    return earlier
