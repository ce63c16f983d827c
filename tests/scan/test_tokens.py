"""Product token codec: round trip, strict rejection, rotation, retirement, QR size."""

import base64
import hashlib
import hmac
import os

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from voketag.tokens import DOMAIN, MAX_SERIAL, TEXT_LENGTH, KeyRing, TokenError, decode, link

KEY_1, KEY_2 = os.urandom(32), os.urandom(32)
RING = KeyRing({1: KEY_1}, 1)
serials = st.integers(min_value=0, max_value=MAX_SERIAL)


@given(serials)
def test_round_trip(serial: int) -> None:
    token = RING.issue(serial)
    assert len(token) == TEXT_LENGTH
    assert token == token.upper()
    claims = RING.verify(token)
    assert (claims.key_id, claims.serial) == (1, serial)
    # One documented rule for case: lower-case text is normalised to the same token.
    assert RING.verify(token.lower()) == claims


@settings(max_examples=25)
@given(serials)
def test_every_single_bit_change_is_rejected(serial: int) -> None:
    raw = decode(RING.issue(serial))
    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        text = base64.b32encode(bytes(flipped)).decode().rstrip("=")
        with pytest.raises(TokenError):
            RING.verify(text)


@given(
    serials, st.integers(min_value=0, max_value=TEXT_LENGTH - 1), st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
)
def test_every_character_change_is_rejected(serial: int, position: int, char: str) -> None:
    token = RING.issue(serial)
    changed = token[:position] + char + token[position + 1 :]
    if changed != token:
        with pytest.raises(TokenError):
            RING.verify(changed)


@given(st.text(max_size=80))
def test_arbitrary_text_never_verifies_and_only_raises_token_error(text: str) -> None:
    with pytest.raises(TokenError):
        RING.verify(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "MALFORMED"),
        ("A" * 33, "MALFORMED"),
        ("A" * 35, "MALFORMED"),
        ("0" * 34, "MALFORMED"),  # outside the base32 alphabet
        ("A" * 33 + "1", "MALFORMED"),
        ("A" * 33 + "B", "MALFORMED"),  # non-zero pad bits: a second spelling of one token is refused
    ],
)
def test_malformed_text(text: str, reason: str) -> None:
    with pytest.raises(TokenError) as caught:
        RING.verify(text)
    assert caught.value.reason == reason


def test_unknown_key_id() -> None:
    other = KeyRing({9: KEY_2}, 9)
    with pytest.raises(TokenError) as caught:
        RING.verify(other.issue(42))
    assert caught.value.reason == "UNKNOWN_KEY"


def test_rotation_keeps_old_tokens_until_the_key_is_retired() -> None:
    old_token = KeyRing({1: KEY_1}, 1).issue(7)
    rotated = KeyRing({1: KEY_1, 2: KEY_2}, 2)
    new_token = rotated.issue(8)
    assert decode(new_token)[0] == 2  # new tokens use the new signing key
    assert rotated.verify(old_token).serial == 7
    assert rotated.verify(new_token).serial == 8
    retired = KeyRing({1: KEY_1, 2: KEY_2}, 2, retired=[1])
    with pytest.raises(TokenError) as caught:
        retired.verify(old_token)
    assert caught.value.reason == "RETIRED_KEY"
    assert retired.verify(new_token).serial == 8


def test_a_retired_key_cannot_sign() -> None:
    with pytest.raises(ValueError, match="retired"):
        KeyRing({1: KEY_1}, 1, retired=[1])


def test_same_serial_other_key_gives_a_different_tag() -> None:
    ring = KeyRing({1: KEY_1, 2: KEY_2}, 1)
    assert decode(ring.issue(5, 1))[9:] != decode(ring.issue(5, 2))[9:]


def test_link_fits_qr_version_4_at_level_m() -> None:
    host = "https://" + "v" * 13 + ".example"  # a 21-character host
    assert len(host.removeprefix("https://")) == 21
    url = link(host, RING.issue(MAX_SERIAL))
    assert url.startswith("HTTPS://") and "/R/" in url
    code = segno.make_qr(url, error="m", boost_error=False)
    assert code.mode == "alphanumeric"
    assert code.version == 4
    assert code.error == "M"


@given(serials, st.binary(min_size=32, max_size=100))
def test_issue_matches_the_reference_hmac_and_base32(serial: int, secret: bytes) -> None:
    ring = KeyRing({3: secret}, 3)
    body = bytes((3,)) + serial.to_bytes(8, "big")
    tag = hmac.digest(secret, DOMAIN + body, hashlib.sha256)[:12]
    assert ring.issue(serial) == base64.b32encode(body + tag).decode().rstrip("=")


def test_non_ascii_letters_that_upper_case_into_the_alphabet_are_refused() -> None:
    token = RING.issue(0)
    for lookalike in ("\u0131", "\u017f"):  # dotless i -> I, long s -> S
        spoofed = token[:-1] + lookalike
        with pytest.raises(TokenError) as caught:
            RING.verify(spoofed)
        assert caught.value.reason == "MALFORMED"
