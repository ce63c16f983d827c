"""GS1 Digital Link resolution (GS1-Conformant Resolver 1.1): the page, an RFC 9264 linkset or a redirect.

A link's token counts only when it authenticates exactly the product the link names (same serial, and the
product's batch has the link's GTIN and lot): a genuine token pasted into another product's link shows the
"invalid" page. A link without its token shows what the product is, never that this item is genuine.
Checks run cheapest first, as for /r/: a forged token is refused before any PostgreSQL work.
"""

import json
import math
import urllib.parse
from dataclasses import dataclass
from typing import Any

from scan_svc import domain, page
from scan_svc.model import ProductFacts
from scan_svc.storage import ScanStore
from scan_svc.usecases import Caller, Location, Outcome, Scanner
from voketag import gs1
from voketag.errors import NotFound, ResourceExhausted
from voketag.tokens import MAX_SERIAL, KeyRing, TokenError

LINKSET_TYPE = "application/linkset+json"
GS1_VOC = "https://gs1.org/voc/"
PIP, VERIFY, DEFAULT = GS1_VOC + "pip", GS1_VOC + "verificationService", GS1_VOC + "defaultLink"
# No GS1 link type fits a Merkle inclusion proof; RFC 8288 allows an extension relation type (a URI).
PROOF = "https://voketag.io/voc/merkleProof"
# linkType values as GS1 writes them (gs1:pip) and in full (https://gs1.org/voc/pip).
_REDIRECTS = {"gs1:pip": PIP, PIP: PIP, "gs1:verificationService": VERIFY, VERIFY: VERIFY}
_NOT_FOUND = NotFound("PRODUCT_NOT_FOUND", "no product has this GTIN and serial")


@dataclass(frozen=True)
class Answer:
    """What the gateway sends: a body, or a redirect (``location``) with a short body."""

    content_type: str
    body: bytes
    page_state: str = ""
    location: str = ""
    retry_after_s: int = 0


def wanted(link_type: str, accept: str) -> str:
    """'page', 'linkset' or the link relation to redirect to; an unknown link type is NOT_FOUND."""
    if link_type == "all":
        return "linkset"
    if not link_type:
        return "linkset" if LINKSET_TYPE in accept.lower() else "page"
    if link_type in _REDIRECTS:
        return _REDIRECTS[link_type]
    raise NotFound(
        "NOT_FOUND",
        "this resolver offers linkType all, gs1:pip and gs1:verificationService",
        fields={"linkType": "not offered"},
    )


class Resolver:
    def __init__(self, scanner: Scanner, keyring: KeyRing, store: ScanStore, base_url: str) -> None:
        self._scanner = scanner
        self._keyring = keyring
        self._store = store
        self._base = base_url.rstrip("/")

    async def resolve(self, link: gs1.DigitalLink, accept: str, language: str, caller: Caller) -> Answer:
        want = wanted(link.link_type, accept)
        try:
            return await self._resolve(link, want, language, caller)
        except ResourceExhausted as exc:
            if want != "page":
                raise
            # A browser never gets JSON: as on /r/, the limited page says how long to wait (Envoy answers 429).
            wait_s = max(1, math.ceil(exc.retry_after_s or 1))
            return _page(page.limited(wait_s, language), wait_s)

    async def _resolve(self, link: gs1.DigitalLink, want: str, language: str, caller: Caller) -> Answer:
        if not link.serial.isdigit() or int(link.serial) > MAX_SERIAL:
            raise _NOT_FOUND  # a well-formed GS1 serial, but never one of ours
        serial = int(link.serial)
        if link.token:
            if want != "page":
                await self._scanner.admit(caller)  # the page's scan flow applies the limits itself
            row = await self._bound(link, serial)
            if want == "page":
                if row is None:
                    # Counted like any forged code (and rate limited) by the scan flow itself.
                    outcome = await self._verify_forged(link.token, caller)
                else:
                    outcome = await self._scanner.verify(link.token, Location(None, None, ""), "", caller)
                return _page(page.render(outcome, page.proof_path(outcome.product, link.token), language))
        else:
            await self._scanner.admit(caller)
            row = await self._store.lookup_gtin(serial, link.gtin)
            if row is None or (link.lot and link.lot != row.lot):
                raise _NOT_FOUND
            if want == "page":
                return _page(page.render_unverified(row, "", language))
        links = self._links(link, row)
        if want == "linkset":
            body = json.dumps({"linkset": [{"anchor": self._anchor(link), **links}]}, separators=(",", ":"))
            return Answer(LINKSET_TYPE, body.encode())
        if want not in links:
            raise NotFound(
                "NOT_FOUND",
                "this link type needs the link's authentication code",
                fields={"linkType": "not available for this link"},
            )
        target = links[want][0]["href"]
        return Answer("text/plain; charset=utf-8", f"See {target}\n".encode(), location=target)

    async def _bound(self, link: gs1.DigitalLink, serial: int) -> ProductFacts | None:
        """The product when the link's token authenticates it; None for a forged or misplaced token."""
        try:
            claims = self._keyring.verify(link.token.upper())
        except TokenError:
            return None
        if claims.serial != serial:
            return None
        row = await self._store.lookup(serial, claims.key_id)
        if row is None or row.gtin != link.gtin or (link.lot and link.lot != row.lot):
            return None
        return row

    async def _verify_forged(self, token: str, caller: Caller) -> Outcome:
        """A token that does not belong to this link: the scan flow counts a forged one; a genuine token of
        another product is invalid here without being recorded against that product."""
        try:
            self._keyring.verify(token.upper())
        except TokenError:
            return await self._scanner.verify(token, Location(None, None, ""), "", caller)
        await self._scanner.admit(caller)
        return Outcome(domain.invalid("LINK_MISMATCH"))

    def _anchor(self, link: gs1.DigitalLink) -> str:
        path = f"/01/{link.gtin}"
        if link.lot:
            path += "/10/" + urllib.parse.quote(link.lot, safe="")
        return f"{self._base}{path}/21/{link.serial}"

    def _links(self, link: gs1.DigitalLink, row: ProductFacts | None) -> dict[str, list[dict[str, Any]]]:
        if row is None:
            return {}  # a misplaced or forged token: nothing to offer
        token = link.token.upper()
        page_href = f"{self._base}/r/{token}" if token else self._anchor(link)
        links: dict[str, list[dict[str, Any]]] = {
            PIP: [{"href": page_href, "title": "Product information and authenticity", "type": "text/html"}],
            DEFAULT: [{"href": page_href, "type": "text/html"}],
        }
        if token:
            links[VERIFY] = [
                {"href": f"{self._base}/api/verify/{token}", "title": "Verify this item", "type": "application/json"}
            ]
        proof = page.proof_path(row, token)
        if proof:
            links[PROOF] = [{"href": self._base + proof, "title": "Merkle proof bundle", "type": "application/json"}]
        return links


def _page(rendered: page.Page, retry_after_s: int = 0) -> Answer:
    return Answer("text/html; charset=utf-8", rendered.html.encode(), rendered.state, retry_after_s=retry_after_s)
