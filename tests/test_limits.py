"""Every limit of voketag/limits.py is the one the contract's comment of its field states."""

import re
from pathlib import Path

import pytest

from voketag.limits import LIMITS

PROTO = Path(__file__).resolve().parent.parent / "proto"


def _field_comment(full_name: str) -> str:
    """The comment lines right above a field of a message, from the .proto sources."""
    package, message, field = full_name.rsplit(".", 2)
    area = package.split(".")[1]
    for path in (PROTO / "voketag" / area / "v1").glob("*.proto"):
        inside, comment = False, []
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if re.match(rf"message {message} \{{", stripped):
                inside = True
            elif inside and stripped == "}":
                inside = False
            if stripped.startswith("//"):
                comment.append(stripped[2:].strip())
                continue
            if inside and re.match(rf"^(repeated |optional )?[\w.<>, ]+ {field} = \d+", stripped):
                return " ".join(comment)
            comment = []
    raise AssertionError(f"{full_name} is not a field of the contracts")


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_the_contract_states_the_limit(name: str) -> None:
    comment = _field_comment(name).replace(",", "")
    assert LIMITS[name].describe() in comment, f"{name}: {comment!r} does not say {LIMITS[name].describe()}"
