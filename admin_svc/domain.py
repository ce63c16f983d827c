"""Rules shared by the admin use cases (ids, request ids and fingerprints: voketag.ids)."""

from voketag.errors import InvalidArgument


def invalid(field: str, problem: str) -> InvalidArgument:
    return InvalidArgument("INVALID_FIELD", f"{field}: {problem}", fields={field: problem})
