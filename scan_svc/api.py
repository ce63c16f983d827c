"""ScanService handlers: proto <-> domain only.

Consumer-facing: token verification, risk, ledger, fraud reports, the /r/ page.
"""

import math
from typing import TypeVar

import grpc
from google.api import httpbody_pb2

from scan_svc import page
from scan_svc.ledger import Checkpoint, Ledger
from scan_svc.resolver import Resolver
from scan_svc.tlog import Receipt, Transparency
from scan_svc.usecases import Caller, Location, Outcome, Scanner, malformed, parse_location
from voketag import context as rpc_context
from voketag import gs1, lifecycle
from voketag.auth import STAFF, allow, public
from voketag.common.v1 import anchor_pb2, enums_pb2, risk_pb2
from voketag.errors import InvalidArgument, ResourceExhausted
from voketag.protos import timestamp
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["ScanService"]
T = TypeVar("T")

# Country of the client as the edge may set it (e.g. from a GeoIP lookup at the CDN).
EDGE_COUNTRY_HEADER = "x-client-country"
LANG_MAX = 35
DIGITAL_LINK_LIMITS = {"path": 512, "query": 1024, "accept": 1024}
# The batch's anchoring state (batches.state) as the contract's AnchorState.
ANCHOR_STATES = {
    "CREATED": enums_pb2.ANCHOR_STATE_PENDING,
    "ANCHORING": enums_pb2.ANCHOR_STATE_SUBMITTED,
    "ANCHORED": enums_pb2.ANCHOR_STATE_ANCHORED,
    "FAILED": enums_pb2.ANCHOR_STATE_FAILED,
}


def _caller(context: Context) -> Caller:
    metadata = {key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)}
    return Caller(metadata, rpc_context.client_address.get())


def _location(location: pb.CoarseLocation, caller: Caller) -> Location:
    return parse_location(
        location.latitude if location.HasField("latitude") else None,
        location.longitude if location.HasField("longitude") else None,
        location.country_code,
        caller.metadata.get(EDGE_COUNTRY_HEADER, ""),
    )


def proof_url(outcome: Outcome, token: str) -> str:
    """The public proof of this product: addressed by its token, which the consumer has (product ids are guessable)."""
    return page.proof_path(outcome.product, token)


def receipt_url(receipt: Receipt) -> str:
    return f"/v1/ledger/receipts/{receipt.leaf_index}"


def _receipt(receipt: Receipt) -> pb.ScanReceipt:
    return pb.ScanReceipt(
        leaf_index=receipt.leaf_index,
        leaf_hash=receipt.leaf_hash,
        scanned_at=timestamp(receipt.scanned_at),
        note=receipt.note,
        proof_path=f"/v1/ledger/proofs/{receipt.leaf_index}",
    )


def _verify_response(outcome: Outcome, token: str) -> pb.VerifyTokenResponse:
    reply = pb.VerifyTokenResponse(
        verdict=f"VERDICT_{outcome.verdict.value}",
        scan_count=outcome.scan_count,
        risk_score=outcome.assessment.score,
        factors=[
            risk_pb2.RiskFactor(
                kind=f"RISK_FACTOR_KIND_{factor.kind.name}",
                value=factor.value,
                contribution=factor.contribution,
                available=factor.available,
                explanation=factor.explanation[:200],
            )
            for factor in outcome.assessment.factors
        ],
        scan_id=str(outcome.scan_id) if outcome.scan_id else "",
        ledger_sequence=outcome.ledger_sequence,
        message=outcome.message,
        first_scanned_at=timestamp(outcome.first_scanned_at),
        scanned_at=timestamp(outcome.scanned_at),
    )
    if outcome.receipt is not None:
        reply.receipt.CopyFrom(_receipt(outcome.receipt))
    row = outcome.product
    if row is not None:
        # A public answer: product and batch ids, the external id and the internal lifecycle reasons stay empty.
        reply.product.CopyFrom(
            pb.ProductFacts(
                serial=row.serial,
                sku=row.sku,
                product_line=row.product_line,
                name=row.product_name or row.sku,
                lifecycle=f"LIFECYCLE_STATE_{outcome.lifecycle}",
                lifecycle_reason=lifecycle.public_notice(outcome.lifecycle, outcome.lifecycle_reason),
            )
        )
        reply.batch.CopyFrom(
            pb.BatchFacts(
                state=f"BATCH_STATE_{row.state}",
                lifecycle=f"LIFECYCLE_STATE_{row.batch_lifecycle}",
                created_at=timestamp(row.batch_created_at),
                lifecycle_reason=lifecycle.public_notice(row.batch_lifecycle, row.batch_public_reason),
                factory_name=row.factory_name,
            )
        )
        reply.anchor.CopyFrom(
            anchor_pb2.AnchorInfo(
                state=ANCHOR_STATES[row.state],
                proof_url=proof_url(outcome, token),
                chain_id=row.chain_id or 0,
                tx_hash=row.tx_hash or "",
                block_number=row.block_number or 0,
                confirmations=row.confirmations or 0,
                anchored_at=timestamp(row.anchored_at),
            )
        )
    return reply


def _checkpoint(checkpoint: Checkpoint | None) -> pb.LedgerCheckpoint | None:
    if checkpoint is None:
        return None
    return pb.LedgerCheckpoint(
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        head_hash=checkpoint.head_hash,
        created_at=timestamp(checkpoint.created_at),
        signature=checkpoint.signature,
        key_id=checkpoint.key_id,
    )


class ScanApi(rpc.ScanServiceServicer):
    def __init__(self, scanner: Scanner, ledger: Ledger, transparency: Transparency, resolver: Resolver) -> None:
        self._scanner = scanner
        self.ledger = ledger
        self._transparency = transparency
        self._resolver = resolver

    async def _verify(self, request: pb.VerifyTokenRequest, context: Context) -> Outcome:
        caller = _caller(context)
        location = _location(request.location, caller)
        return await self._scanner.verify(request.token, location, request.device_hint, caller)

    @public
    async def VerifyToken(self, request: pb.VerifyTokenRequest, context: Context) -> pb.VerifyTokenResponse:
        return _verify_response(await self._verify(request, context), request.token)

    @public
    async def ReportFraud(self, request: pb.ReportFraudRequest, context: Context) -> pb.ReportFraudResponse:
        caller = _caller(context)
        report_id, created_at = await self._scanner.report(
            request.token,
            request.contact,
            request.description,
            request.scan_id,
            _location(request.location, caller),
            request.request_id,
            request.device_hint,
            caller,
        )
        return pb.ReportFraudResponse(report_id=str(report_id), created_at=timestamp(created_at))

    @public
    async def RenderPage(self, request: pb.RenderPageRequest, context: Context) -> httpbody_pb2.HttpBody:
        if len(request.lang) > LANG_MAX:
            raise InvalidArgument("INVALID_FIELD", "the language tag is too long", fields={"lang": "at most 35 chars"})
        language = page.language(request.lang, _caller(context).metadata.get("accept-language", ""))
        headers = [("content-language", language)]
        try:
            outcome = await self._verify(pb.VerifyTokenRequest(token=request.token), context)
            receipt = receipt_url(outcome.receipt) if outcome.receipt is not None else ""
            rendered = page.render(outcome, proof_url(outcome, request.token), language, receipt)
        except InvalidArgument as exc:
            if exc.reason != "TOKEN_MALFORMED":
                raise
            rendered = page.render(malformed(), "", language)
        except ResourceExhausted as exc:
            # A browser never gets JSON: the limited page says how long to wait (Envoy answers it as 429).
            wait_s = max(1, math.ceil(exc.retry_after_s or 1))
            rendered = page.limited(wait_s, language)
            headers.append(("x-voketag-retry-after", str(wait_s)))
        # Envoy maps x-voketag-page to the HTTP status (410 recalled, 429 limited) and removes it.
        await context.send_initial_metadata((("x-voketag-page", rendered.state), *headers))
        return httpbody_pb2.HttpBody(content_type="text/html; charset=utf-8", data=rendered.html.encode())

    @public
    async def ResolveDigitalLink(
        self, request: pb.ResolveDigitalLinkRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        for field, limit in DIGITAL_LINK_LIMITS.items():
            if len(getattr(request, field)) > limit:
                raise InvalidArgument("INVALID_FIELD", f"{field} is too long", fields={field: f"at most {limit} chars"})
        link = gs1.parse("/01/" + request.path, request.query)
        caller = _caller(context)
        language = page.language("", caller.metadata.get("accept-language", ""))
        accept = request.accept or caller.metadata.get("accept", "")
        answer = await self._resolver.resolve(link, accept, language, caller)
        # Envoy turns these into the HTTP status (307 with Location, 410 recalled, 429 limited) and removes them.
        await context.send_initial_metadata(
            (
                ("x-voketag-page", answer.page_state),
                ("x-voketag-location", answer.location),
                ("x-voketag-retry-after", str(answer.retry_after_s)),
                ("content-language", language),
            )
        )
        return httpbody_pb2.HttpBody(content_type=answer.content_type, data=answer.body)

    @allow(*STAFF)
    async def VerifyLedger(self, request: pb.VerifyLedgerRequest, context: Context) -> pb.VerifyLedgerResponse:
        if request.to_sequence and request.from_sequence > request.to_sequence:
            raise InvalidArgument(
                "INVALID_FIELD", "the range is empty", fields={"from_sequence": "must not exceed to_sequence"}
            )
        finding, checkpoint = await self.ledger.verify(request.from_sequence, request.to_sequence)
        return pb.VerifyLedgerResponse(
            ok=finding.ok,
            entries_checked=finding.entries_checked,
            first_bad_sequence=finding.first_bad_sequence,
            problem=finding.problem,
            checkpoint=_checkpoint(checkpoint),
            unchecked_scans=finding.unchecked_scans,
        )

    @public
    async def GetLedgerCheckpoint(
        self, request: pb.GetLedgerCheckpointRequest, context: Context
    ) -> pb.GetLedgerCheckpointResponse:
        return pb.GetLedgerCheckpointResponse(checkpoint=_checkpoint(await self.ledger.latest()))

    @public
    async def GetLedgerConsistencyProof(
        self, request: pb.GetLedgerConsistencyProofRequest, context: Context
    ) -> pb.GetLedgerConsistencyProofResponse:
        latest = await self.ledger.latest()
        latest_size = latest.tree_size if latest else 0
        second = request.second_tree_size or latest_size
        if not 1 <= request.first_tree_size <= second <= latest_size:
            raise InvalidArgument(
                "INVALID_FIELD",
                "the tree sizes are out of range",
                fields={"first_tree_size": f"need 1 <= first_tree_size <= second_tree_size <= {latest_size}"},
            )
        proof, first_root, second_root = await self.ledger.consistency(request.first_tree_size, second)
        return pb.GetLedgerConsistencyProofResponse(
            first_tree_size=request.first_tree_size,
            second_tree_size=second,
            proof=proof,
            first_root_hash=first_root,
            second_root_hash=second_root,
            checkpoint=_checkpoint(latest if latest and latest.tree_size == second else None),
        )

    @public
    async def GetLedgerCheckpointNote(
        self, request: pb.GetLedgerCheckpointNoteRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        signed = await self._transparency.checkpoint(request.tree_size)
        return httpbody_pb2.HttpBody(content_type="text/plain; charset=utf-8", data=signed.encode())

    @public
    async def GetLedgerInclusionProof(
        self, request: pb.GetLedgerInclusionProofRequest, context: Context
    ) -> pb.GetLedgerInclusionProofResponse:
        size, leaf, proof, signed = await self._transparency.inclusion(request.leaf_index, request.tree_size)
        return pb.GetLedgerInclusionProofResponse(
            leaf_index=request.leaf_index, tree_size=size, leaf_hash=leaf, proof=proof, checkpoint_note=signed
        )

    @public
    async def GetScanReceipt(self, request: pb.GetScanReceiptRequest, context: Context) -> pb.GetScanReceiptResponse:
        return pb.GetScanReceiptResponse(receipt=_receipt(await self._transparency.receipt_at(request.leaf_index)))

    @public
    async def AddLedgerCosignature(
        self, request: pb.AddLedgerCosignatureRequest, context: Context
    ) -> pb.AddLedgerCosignatureResponse:
        signed = await self._transparency.cosign(request.tree_size, request.cosignature)
        return pb.AddLedgerCosignatureResponse(checkpoint_note=signed)
