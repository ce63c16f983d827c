"""The consumer page: one server-rendered HTML document per scan outcome (no JavaScript, no external files).

The page speaks the languages in TEXTS; the ``lang`` field wins when it names one, then Accept-Language (by
q-value), else English. It shows what a buyer needs: no internal ids, no internal reasons.
"""

import functools
import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from scan_svc.domain import Kind, Verdict
from scan_svc.model import ProductFacts
from scan_svc.usecases import Outcome

if TYPE_CHECKING:
    from jinja2 import Template

DEFAULT_LANGUAGE = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "invalid.title": "Not a genuine code",
        "invalid.summary": "This code was not issued by the brand. The product may be counterfeit: do not rely on it.",
        "recalled.title": "Recalled product",
        "recalled.summary": "The brand has recalled this product. Stop using it and follow the brand's instructions.",
        "withdrawn.title": "Code withdrawn",
        "withdrawn.summary": "The brand has withdrawn this code. Stop using it and follow the brand's instructions.",
        "warning.title": "Check this product carefully",
        "warning.summary": "The code is genuine, but the way it has been scanned suggests it may have been copied.",
        "warning.why": "Why we are cautious:",
        "genuine.title": "Genuine product",
        "genuine.summary": "This code was issued by the brand and nothing unusual was seen.",
        "limited.title": "Please wait a moment",
        "limited.summary": "Too many checks from your connection. Try again in {seconds} seconds.",
        "unverified.title": "Product information",
        "unverified.summary": (
            "This link names a product but carries no authentication code, so this item cannot be checked."
            " Scan the QR code printed on the product to verify it."
        ),
        "product": "Product",
        "name": "Name",
        "line": "Product line",
        "sku": "SKU",
        "factory": "Made by",
        "scans": "Scans",
        "first_scan": "First scanned",
        "never": "never",
        "anchor": "Blockchain record",
        "proof": "proof",
        "receipt": "Scan receipt",
        "receipt.link": "signed receipt of this check",
        "footer": "Checked by VokeTag. Something wrong? Report it to the brand with this page's address.",
        "anchor.CREATED": "waiting to be recorded",
        "anchor.ANCHORING": "being recorded",
        "anchor.ANCHORED": "recorded",
        "anchor.FAILED": "not recorded yet",
        "months": "January February March April May June July August September October November December",
        f"reason.{Kind.SCAN_COUNT.name}": "This code has been scanned unusually often",
        f"reason.{Kind.DISTINCT_DEVICES.name}": "Many different devices have scanned this code",
        f"reason.{Kind.GEO_DISPERSION.name}": "This code was scanned in places far apart",
        f"reason.{Kind.DEVICE_VELOCITY.name}": "This device has scanned many different codes",
        f"reason.{Kind.LIFECYCLE.name}": "Product not released for sale yet",
        f"reason.{Kind.FRAUD_REPORTS.name}": "Problems with this product were reported to the brand",
        "reason.none": "No single sign stands out",
    },
    "de": {
        "invalid.title": "Kein echter Code",
        "invalid.summary": (
            "Dieser Code wurde nicht von der Marke ausgegeben. Das Produkt kann eine Fälschung sein: "
            "verlassen Sie sich nicht darauf."
        ),
        "recalled.title": "Zurückgerufenes Produkt",
        "recalled.summary": (
            "Die Marke hat dieses Produkt zurückgerufen. Verwenden Sie es nicht mehr und folgen Sie den "
            "Anweisungen der Marke."
        ),
        "withdrawn.title": "Code zurückgezogen",
        "withdrawn.summary": (
            "Die Marke hat diesen Code zurückgezogen. Verwenden Sie ihn nicht mehr und folgen Sie den "
            "Anweisungen der Marke."
        ),
        "warning.title": "Prüfen Sie dieses Produkt sorgfältig",
        "warning.summary": "Der Code ist echt, aber die Art der Scans deutet darauf hin, dass er kopiert wurde.",
        "warning.why": "Warum wir vorsichtig sind:",
        "genuine.title": "Echtes Produkt",
        "genuine.summary": "Dieser Code wurde von der Marke ausgegeben, und nichts Ungewöhnliches wurde festgestellt.",
        "limited.title": "Bitte warten Sie einen Moment",
        "limited.summary": "Zu viele Prüfungen von Ihrer Verbindung. Versuchen Sie es in {seconds} Sekunden erneut.",
        "unverified.title": "Produktinformation",
        "unverified.summary": (
            "Dieser Link nennt ein Produkt, trägt aber keinen Echtheitscode; dieses Exemplar kann nicht geprüft"
            " werden. Scannen Sie den QR-Code auf dem Produkt, um es zu prüfen."
        ),
        "product": "Produkt",
        "name": "Name",
        "line": "Produktlinie",
        "sku": "Artikelnummer",
        "factory": "Hergestellt von",
        "scans": "Scans",
        "first_scan": "Zuerst gescannt",
        "never": "nie",
        "anchor": "Blockchain-Eintrag",
        "proof": "Nachweis",
        "receipt": "Scan-Beleg",
        "receipt.link": "signierter Beleg dieser Prüfung",
        "footer": "Geprüft von VokeTag. Stimmt etwas nicht? Melden Sie es der Marke mit der Adresse dieser Seite.",
        "anchor.CREATED": "wartet auf Eintragung",
        "anchor.ANCHORING": "wird eingetragen",
        "anchor.ANCHORED": "eingetragen",
        "anchor.FAILED": "noch nicht eingetragen",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        f"reason.{Kind.SCAN_COUNT.name}": "Dieser Code wurde ungewöhnlich oft gescannt",
        f"reason.{Kind.DISTINCT_DEVICES.name}": "Viele verschiedene Geräte haben diesen Code gescannt",
        f"reason.{Kind.GEO_DISPERSION.name}": "Dieser Code wurde an weit entfernten Orten gescannt",
        f"reason.{Kind.DEVICE_VELOCITY.name}": "Dieses Gerät hat viele verschiedene Codes gescannt",
        f"reason.{Kind.LIFECYCLE.name}": "Produkt noch nicht zum Verkauf freigegeben",
        f"reason.{Kind.FRAUD_REPORTS.name}": "Der Marke wurden Probleme mit diesem Produkt gemeldet",
        "reason.none": "Kein einzelnes Zeichen sticht hervor",
    },
}


@dataclass(frozen=True)
class Page:
    state: str  # genuine, warning, invalid, recalled, limited, unverified
    html: str


def _primary(tag: str) -> str:
    return tag.strip().split("-")[0].split("_")[0].lower()


def language(lang: str, accept_language: str) -> str:
    """The page language: ``lang`` when supported, else the best supported Accept-Language entry, else English."""
    if _primary(lang) in TEXTS:
        return _primary(lang)
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate(accept_language.split(",")[:20]):
        tag, _, params = entry.partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if _primary(tag) in TEXTS and math.isfinite(quality) and quality > 0:
            ranked.append((-quality, position, _primary(tag)))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


@functools.cache
def _template() -> "Template":
    """The page template, loaded on the first page: jinja2 is memory an idle scan service does not need."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("scan_svc", "templates"), autoescape=select_autoescape(["html"]))
    return env.get_template("page.html")


def _render(language_code: str, state: str, **values: object) -> Page:
    html = _template().render(lang=language_code, t=TEXTS[language_code], state=state, **values)
    return Page(state, html)


def proof_path(row: ProductFacts | None, token: str) -> str:
    """Where the public finds the product's Merkle proof bundle once its batch is anchored: by its token (the
    product id is guessable, so the public never asks by id)."""
    if row is None or not token or row.state != "ANCHORED":
        return ""
    return f"/v1/merkle/proof?token={token.upper()}"


def _facts(
    row: ProductFacts, scans: int, first: datetime | None, t: dict[str, str], proof_url: str, receipt_url: str = ""
) -> dict[str, object]:
    months = t["months"].split()
    return {
        "name": row.product_name or row.sku,
        "line": row.product_line,
        "sku": row.sku,
        "factory": row.factory_name,
        "scans": scans,
        "first_scan": f"{first.day} {months[first.month - 1]} {first.year}" if first else "",
        "first_scan_iso": first.isoformat() if first else "",
        "anchor": t.get(f"anchor.{row.state}", row.state.lower()),
        "proof_url": proof_url,
        "receipt_url": receipt_url,
    }


def render(outcome: Outcome, proof_url: str, language_code: str = DEFAULT_LANGUAGE, receipt_url: str = "") -> Page:
    t = TEXTS[language_code]
    verdict = outcome.verdict
    reasons: list[str] = []
    if verdict is Verdict.INVALID:
        state, icon, key = "invalid", "✖", "invalid"
    elif verdict is Verdict.REVOKED:
        state, icon = "recalled", "⚠"
        key = "recalled" if outcome.lifecycle == "RECALLED" else "withdrawn"
    elif verdict is Verdict.SUSPICIOUS:
        state, icon, key = "warning", "!", "warning"
        reasons = [t[f"reason.{factor.kind.name}"] for factor in outcome.raising[:3]] or [t["reason.none"]]
    else:
        state, icon, key = "genuine", "✔", "genuine"
    product = None
    if outcome.product is not None:
        product = _facts(outcome.product, outcome.scan_count, outcome.first_scanned_at, t, proof_url, receipt_url)
    return _render(
        language_code,
        state,
        icon=icon,
        title=t[f"{key}.title"],
        summary=t[f"{key}.summary"],
        # The brand's public reason for a revocation or recall (never the internal one), in its own words.
        notice=outcome.lifecycle_reason if verdict is Verdict.REVOKED else "",
        reasons=reasons,
        product=product,
    )


def limited(retry_after_s: float, language_code: str = DEFAULT_LANGUAGE) -> Page:
    """The page for a client that is rate limited: how long to wait, nothing about the product."""
    t = TEXTS[language_code]
    seconds = max(1, math.ceil(retry_after_s))
    return _render(
        language_code,
        "limited",
        icon="⏳",
        title=t["limited.title"],
        summary=t["limited.summary"].format(seconds=seconds),
        reasons=[],
        product=None,
    )


def render_unverified(row: ProductFacts, proof_url: str, language_code: str = DEFAULT_LANGUAGE) -> Page:
    """A GS1 Digital Link without its token: what the product is, never whether this item is genuine."""
    t = TEXTS[language_code]
    return _render(
        language_code,
        "unverified",
        icon="?",
        title=t["unverified.title"],
        summary=t["unverified.summary"],
        notice="",
        reasons=[],
        product=_facts(row, row.scan_count, row.first_scanned_at, t, proof_url),
    )
