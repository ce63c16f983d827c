"""The consumer page: one server-rendered HTML document per scan outcome (no JavaScript, no external files)."""

from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from scan_svc.risk import Verdict
from scan_svc.scanning import Outcome

_ENV = Environment(loader=PackageLoader("scan_svc", "templates"), autoescape=select_autoescape(["html"]))
_TEMPLATE = _ENV.get_template("page.html")

ANCHOR_TEXT = {
    "CREATED": "waiting to be recorded",
    "ANCHORING": "being recorded",
    "ANCHORED": "recorded",
    "FAILED": "not recorded yet",
}


@dataclass(frozen=True)
class Page:
    state: str  # genuine, warning, invalid, recalled
    html: str


def render(outcome: Outcome, proof_url: str) -> Page:
    verdict = outcome.verdict
    reasons: list[str] = []
    if verdict is Verdict.INVALID:
        state, icon, title = "invalid", "✖", "Not a genuine code"
        summary = "This code was not issued by the brand. The product may be counterfeit: do not rely on it."
    elif verdict is Verdict.REVOKED:
        recalled = outcome.lifecycle == "RECALLED"
        state, icon = "recalled", "⚠"
        title = "Recalled product" if recalled else "Code withdrawn"
        what = "recalled this product" if recalled else "withdrawn this code"
        reason = f" Reason: {outcome.lifecycle_reason}" if outcome.lifecycle_reason else ""
        summary = f"The brand has {what}. Stop using it and follow the brand's instructions.{reason}"
    elif verdict is Verdict.SUSPICIOUS:
        state, icon, title = "warning", "!", "Check this product carefully"
        summary = "The code is genuine, but the way it has been scanned suggests it may have been copied."
        reasons = [reason[0].upper() + reason[1:] for reason in outcome.reasons[:3]]
    else:
        state, icon, title = "genuine", "✔", "Genuine product"
        summary = "This code was issued by the brand and nothing unusual was seen."
    product = None
    if outcome.product is not None:
        row = outcome.product
        first = outcome.first_scanned_at
        product = {
            "name": row["product_name"] or row["sku"],
            "line": row["product_line"],
            "sku": row["sku"],
            "batch": str(row["batch_id"]),
            "factory": row["factory_name"],
            "scans": outcome.scan_count,
            "first_scan": first.strftime("%d %B %Y") if first else "",
            "first_scan_iso": first.isoformat() if first else "",
            "anchor": ANCHOR_TEXT.get(row["state"], row["state"].lower()),
            "proof_url": proof_url,
        }
    html = _TEMPLATE.render(state=state, icon=icon, title=title, summary=summary, reasons=reasons, product=product)
    return Page(state, html)
