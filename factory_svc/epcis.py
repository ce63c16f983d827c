"""EPCIS 2.0 events of batches, products and scans (GS1 EPCIS/CBV 2.0, JSON-LD). Pure logic, no I/O.

- commissioning: ObjectEvent ADD, bizStep commissioning, disposition active, for the products created
  together (a batch, or products added to an open batch later), at their creation time, at most
  EPCS_PER_EVENT EPCs per event;
- lifecycle: revoked / recalled as ObjectEvent DELETE with bizStep decommissioning and disposition inactive /
  recalled; released as ObjectEvent OBSERVE with disposition sellable_accessible (the brand's public reason
  in voketag:publicReason);
- scans: ObjectEvent OBSERVE, bizStep inspecting, read point urn:voketag:country:<ISO 3166-1 alpha-2> when the
  country is known, verdict and risk score in the VokeTag namespace.

EPCs are GS1 Digital Link URIs on GS1's canonical host (https://id.gs1.org/01/<GTIN>/21/<serial>) for
batches with a GTIN, else urn:voketag:product:<product id>. Vocabulary values are written as full CBV URIs,
which is what the CBV 2.0 event hash canonicalises them to, so eventID (computed with
epcis-event-hash-generator) needs no remote JSON-LD context.
"""

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

CONTENT_TYPE = "application/ld+json"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
NAMESPACE = "https://voketag.io/epcis/"
CBV = "https://ref.gs1.org/cbv/"
EPCS_PER_EVENT = 1000
# (action, bizStep, disposition) of a lifecycle change, by batch_events type suffix.
LIFECYCLE = {
    "released": ("OBSERVE", None, "sellable_accessible"),
    "revoked": ("DELETE", "decommissioning", "inactive"),
    "recalled": ("DELETE", "decommissioning", "recalled"),
}
# The hash generator keeps module-level state while it works: one computation at a time.
_HASHING = threading.Lock()


def epc(product_id: str, serial: int, gtin: str) -> str:
    if gtin:
        return f"https://id.gs1.org/01/{gtin}/21/{serial}"
    return f"urn:voketag:product:{product_id}"


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(
    at: datetime, epcs: Sequence[str], action: str, biz_step: str | None, disposition: str | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": _time(at),
        "eventTimeZoneOffset": "+00:00",
        "epcList": list(epcs),
        "action": action,
    }
    if biz_step:
        event["bizStep"] = f"{CBV}BizStep-{biz_step}"
    if disposition:
        event["disposition"] = f"{CBV}Disp-{disposition}"
    return event


def commissioning(at: datetime, epcs: Sequence[str]) -> dict[str, Any]:
    return _event(at, epcs, "ADD", "commissioning", "active")


def lifecycle(change: str, at: datetime, epcs: Sequence[str], public_reason: str) -> dict[str, Any]:
    """``change`` is released, revoked or recalled."""
    action, biz_step, disposition = LIFECYCLE[change]
    event = _event(at, epcs, action, biz_step, disposition)
    event["voketag:lifecycle"] = change.upper()
    if public_reason:
        event["voketag:publicReason"] = public_reason
    return event


def scan(at: datetime, product_epc: str, country: str, verdict: str, risk_score: int) -> dict[str, Any]:
    event = _event(at, [product_epc], "OBSERVE", "inspecting", None)
    if country:
        event["readPoint"] = {"id": f"urn:voketag:country:{country}"}
    event["voketag:verdict"] = verdict
    event["voketag:riskScore"] = risk_score
    return event


def with_ids(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with their CBV 2.0 event hash as eventID (CPU work: run it off the event loop)."""
    if not events:
        return events
    document = {"@context": [{"voketag": NAMESPACE}], "epcisBody": {"eventList": events}}
    with _HASHING:
        # Imported on the first export, not at start: the generator and its JSON-LD stack are some 23 MB.
        from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
        from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json

        hashes = epcis_hashes_from_events(event_list_from_epcis_document_json(json.loads(json.dumps(document))))
    if len(hashes) != len(events):
        raise ValueError("the event hash generator skipped an event")
    return [{**event, "eventID": event_id} for event, event_id in zip(events, hashes, strict=True)]


class DocumentWriter:
    """An EPCISDocument written piece by piece: head, events as they come, tail."""

    def __init__(self, created: datetime) -> None:
        self._created = created
        self.events = 0

    def head(self) -> bytes:
        context = json.dumps([EPCIS_CONTEXT, {"voketag": NAMESPACE}])
        return (
            f'{{"@context":{context},"type":"EPCISDocument","schemaVersion":"2.0",'
            f'"creationDate":"{_time(self._created)}","epcisBody":{{"eventList":['
        ).encode()

    def add(self, events: list[dict[str, Any]]) -> bytes:
        parts = [json.dumps(event, separators=(",", ":"), ensure_ascii=False) for event in events]
        text = ("," if self.events and parts else "") + ",".join(parts)
        self.events += len(parts)
        return text.encode()

    @staticmethod
    def tail() -> bytes:
        return b"]}}"
