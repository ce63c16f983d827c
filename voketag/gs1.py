"""GS1 keys and GS1 Digital Link URIs: the factory prints them, the scan service resolves them.

A batch may carry a GTIN (AI 01), a batch/lot (AI 10) and an expiry date (AI 17); each of its products is
then identified by the GTIN and its VokeTag serial as serial number (AI 21). The serial is used rather than
the factory's external id because it is unique, always present and all digits, which GS1's AI 21 character
set and length (at most 20) accept for every 64-bit serial.

The printed link (GS1 Digital Link 1.2, uncompressed form) keeps the authentication token as a query
parameter the GS1 syntax passes through:

    HTTPS://<HOST>/01/<GTIN-14>[/10/<LOT>]/21/<SERIAL>[?17=<YYMMDD>&|?]VT=<TOKEN>

Parsing and check digits come from ``biip``; the path layout (the primary key first, then the qualifiers in
the order GS1 prescribes) is checked here, because biip silently drops qualifiers out of order. biip is
imported on first use: its GS1 tables take some 20 MB, which an idle service (or one that never sees a GS1
key) should not hold.
"""

import re
import urllib.parse
from dataclasses import dataclass
from datetime import date

from voketag.errors import InvalidArgument

# The query parameter of the printed link that carries the token (GS1 passes non-AI parameters through).
TOKEN_PARAM = "VT"
LINK_TYPE_PARAM = "linkType"
# GS1 AI 10 and AI 21: 1..20 characters of GS1 AI encodable character set 82.
_CSET82 = re.compile(r'[!"%-?A-Z_a-z]{1,20}')
_GTIN_DIGITS = re.compile(r"[0-9]{8}|[0-9]{12,14}")
# AI 17 holds YYMMDD; GS1 reads the century from a window around today, so keep dates well inside it.
EXPIRY_YEARS = range(2000, 2070)
# Qualifiers of AI 01 in the order GS1 Digital Link allows them in a path (22 and 235 are not used here).
_QUALIFIERS = ("10", "21")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Keys:
    """The GS1 keys a batch carries; gtin is '' for a batch without GS1 identification."""

    gtin: str
    lot: str = ""
    expiry: date | None = None


@dataclass(frozen=True)
class DigitalLink:
    """A resolved request: the product's GS1 keys, the token (if any) and the link type asked for."""

    gtin: str
    serial: str
    lot: str
    expiry: date | None
    token: str
    link_type: str


def _invalid(field: str, description: str) -> InvalidArgument:
    return InvalidArgument("INVALID_FIELD", f"{field}: {description}", fields={field: description})


def gtin(value: str, field: str = "gtin") -> str:
    """A GTIN-8/12/13/14 with a correct check digit, as GTIN-14."""
    if not _GTIN_DIGITS.fullmatch(value):
        raise _invalid(field, "must be a GTIN of 8, 12, 13 or 14 digits")
    from biip import ParseError
    from biip.gtin import Gtin

    try:
        return Gtin.parse(value).as_gtin_14()
    except ParseError:
        raise _invalid(field, "the GTIN check digit is wrong") from None


def lot(value: str, field: str = "lot") -> str:
    if value and not _CSET82.fullmatch(value):
        raise _invalid(field, "a batch/lot (AI 10) is 1..20 characters of GS1 character set 82")
    return value


def expiry(value: str, field: str = "expiry_date") -> date | None:
    """An ISO date (YYYY-MM-DD) for AI 17, or None when empty."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _invalid(field, "must be a date YYYY-MM-DD") from None
    if len(value) != 10 or parsed.year not in EXPIRY_YEARS:
        raise _invalid(field, f"must be a date YYYY-MM-DD in {EXPIRY_YEARS.start}..{EXPIRY_YEARS.stop - 1}")
    return parsed


def keys(gtin_value: str, lot_value: str, expiry_value: str) -> Keys:
    """Checked GS1 keys of a new batch; lot and expiry need a GTIN."""
    if not gtin_value:
        if lot_value or expiry_value:
            raise _invalid("gtin", "required when lot or expiry_date is set")
        return Keys("")
    return Keys(gtin(gtin_value), lot(lot_value), expiry(expiry_value))


def element_string(batch: Keys, serial: int) -> str:
    """The product's GS1 element string in human-readable form, e.g. (01)09506000134352(17)271231(10)L1(21)42."""
    parts = [f"(01){batch.gtin}"]
    if batch.expiry:
        parts.append(f"(17){batch.expiry:%y%m%d}")
    if batch.lot:
        parts.append(f"(10){batch.lot}")
    parts.append(f"(21){serial}")
    return "".join(parts)


def _link(base_url: str, batch: Keys, serial: str, token: str) -> str:
    path = f"/01/{batch.gtin}"
    if batch.lot:
        path += "/10/" + urllib.parse.quote(batch.lot, safe="")
    query = f"17={batch.expiry:%y%m%d}&" if batch.expiry else ""
    return f"{base_url.rstrip('/').upper()}{path}/21/{serial}?{query}{TOKEN_PARAM}={token}"


def link(base_url: str, batch: Keys, serial: int, token: str) -> str:
    """The printed GS1 Digital Link URI; scheme and host upper-cased like the /R/ links (the lot keeps its case)."""
    return _link(base_url, batch, str(serial), token)


def link_pattern(base_url: str, batch: Keys) -> str:
    """The batch's link with "{serial}" and "{token}" placeholders."""
    return _link(base_url, batch, "{serial}", "{token}")


def _query(query: str) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query), errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise _invalid("query", "is not a well-formed query string") from None
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise _invalid("query", f"parameter {key[:20]!r} is given twice")
        values[key] = value
    return values


def parse(path: str, query: str) -> DigitalLink:
    """Parse the path (from "/01/" on) and query of a GS1 Digital Link URI; malformed ones are INVALID_ARGUMENT.

    The path must be /01/<GTIN>[/10/<lot>]/21/<serial>: VokeTag resolves serialised items only.
    """
    for field, text in (("path", path), ("query", query)):
        if _BAD_PERCENT.search(text):
            raise _invalid(field, "has a '%' that does not start a percent-encoded byte")
    segments = path.split("/")
    if segments[:2] != ["", "01"] or len(segments) % 2 == 0:
        raise _invalid("path", "must be /01/{gtin}[/10/{lot}]/21/{serial}")
    given = segments[3::2]
    if given != [ai for ai in _QUALIFIERS if ai in given]:
        raise _invalid("path", "qualifiers of /01/ must come in the order /10/{lot}/21/{serial}, each at most once")
    if "21" not in given:
        raise _invalid("path", "a serial (/21/{serial}) is required")
    gtin(urllib.parse.unquote(segments[2]), "01")
    params = _query(query)
    from biip import ParseError
    from biip.gs1_digital_link_uris import GS1DigitalLinkURI

    try:
        uri = GS1DigitalLinkURI.parse(f"https://resolver.invalid{path}" + (f"?{query}" if query else ""))
    except (ParseError, UnicodeDecodeError, ValueError) as exc:
        raise _invalid("path", str(exc)[:200]) from None
    found = {element.ai.ai: element for element in uri.element_strings}
    token = params.get(TOKEN_PARAM, params.get(TOKEN_PARAM.lower(), ""))
    expiry_element = found.get("17")
    return DigitalLink(
        gtin=found["01"].value,
        serial=found["21"].value,
        lot=found["10"].value if "10" in found else "",
        expiry=expiry_element.date if expiry_element else None,
        token=token,
        link_type=params.get(LINK_TYPE_PARAM, ""),
    )
