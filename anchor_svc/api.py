"""AnchorService handlers: proto <-> domain only.

Merkle proofs and EVM anchoring of batch roots.
"""

from dataclasses import asdict
from typing import Any

import grpc

from anchor_svc.domain import BUNDLE_VERSION
from anchor_svc.model import AnchorRecord
from anchor_svc.usecases import STATES, Aggregated, Anchoring, Bundle, Verification
from voketag.anchor.v1 import anchor_service_pb2 as pb
from voketag.anchor.v1 import anchor_service_pb2_grpc as rpc
from voketag.auth import FACTORY_WRITERS, SIGNED_IN, Role, allow, current_principal, public
from voketag.common.v1 import anchor_pb2, enums_pb2
from voketag.errors import InvalidArgument
from voketag.ids import object_id
from voketag.protos import timestamp

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["AnchorService"]


def _state(name: str) -> str:
    return f"ANCHOR_STATE_{name}"


def _record(row: AnchorRecord, required: int) -> pb.AnchorRecord:
    submitted = row.tx_hash and row.aggregation_state != "ABANDONED"
    return pb.AnchorRecord(
        batch_id=row.batch_id,
        factory_id=row.factory_id,
        state=_state(row.state),
        attempts=row.attempts,
        last_error=row.last_error[:500],
        tx_hash=row.tx_hash or "",
        block_number=row.block_number or 0,
        confirmations=row.confirmations or 0,
        required_confirmations=required,
        chain_id=row.chain_id or 0,
        batch_root=bytes(row.batch_root or b""),
        batch_size=row.batch_size or 0,
        aggregate_root=bytes(row.aggregate_root or b""),
        aggregate_index=row.aggregate_index or 0,
        aggregate_size=row.aggregate_size or 0,
        sender=row.sender or "",
        nonce=row.nonce or 0,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        submitted_at=timestamp(row.broadcast_at) if submitted else None,
        anchored_at=timestamp(row.anchored_at),
        next_attempt_at=timestamp(row.next_attempt_at) if row.state in ("SUBMITTED", "CONFIRMING") else None,
    )


def _verification(result: Verification) -> pb.VerifyAnchorResponse:
    return pb.VerifyAnchorResponse(
        batch_id=result.batch_id,
        ok=result.ok,
        tx_found=result.tx_found,
        sender_matches=result.sender_matches,
        data_matches=result.data_matches,
        confirmations=result.confirmations,
        required_confirmations=result.required_confirmations,
        block_number=result.block_number,
        chain_id=result.chain_id,
        tx_hash=result.tx_hash,
        explanation=result.explanation[:500],
        checked_at=timestamp(result.checked_at),
    )


def _bundle(bundle: Bundle) -> anchor_pb2.ProofBundle:
    leaf = bundle.leaf
    return anchor_pb2.ProofBundle(
        version=BUNDLE_VERSION,
        leaf_data=leaf.encode(),
        leaf=anchor_pb2.LeafFields(
            batch_id=leaf.batch_id,
            product_id=leaf.product_id,
            serial=leaf.serial,
            sku=leaf.sku,
            token_sha256=leaf.token_sha256,
        ),
        leaf_index=bundle.leaf_index,
        batch_size=bundle.batch_size,
        batch_path=bundle.batch_path,
        batch_root=bundle.batch_root,
        contract_address="",
        **_aggregated(bundle.anchor),
    )


def _aggregated(anchor: Aggregated) -> dict[str, Any]:
    """The aggregate and chain fields, named alike in ProofBundle and GetLedgerAnchorResponse."""
    return {**asdict(anchor), "anchored_at": timestamp(anchor.anchored_at)}


class AnchorApi(rpc.AnchorServiceServicer):
    def __init__(self, anchoring: Anchoring) -> None:
        self._anchoring = anchoring

    @allow(*FACTORY_WRITERS)
    async def Anchor(self, request: pb.AnchorRequest, context: Context) -> pb.AnchorResponse:
        batch_id = object_id(request.batch_id, "batch_id")
        row = await self._anchoring.anchor(current_principal(), batch_id)
        return pb.AnchorResponse(anchor=_record(row, self._anchoring.required_confirmations))

    @allow(*SIGNED_IN)
    async def GetAnchor(self, request: pb.GetAnchorRequest, context: Context) -> pb.GetAnchorResponse:
        row = await self._anchoring.get(current_principal(), object_id(request.batch_id, "batch_id"))
        return pb.GetAnchorResponse(anchor=_record(row, self._anchoring.required_confirmations))

    @public
    async def VerifyAnchor(self, request: pb.VerifyAnchorRequest, context: Context) -> pb.VerifyAnchorResponse:
        return _verification(await self._anchoring.verify(object_id(request.batch_id, "batch_id")))

    @public
    async def GetLedgerAnchor(self, request: pb.GetLedgerAnchorRequest, context: Context) -> pb.GetLedgerAnchorResponse:
        found = await self._anchoring.ledger_anchor(request.tree_size)
        return pb.GetLedgerAnchorResponse(
            origin=found.origin,
            tree_size=found.tree_size,
            root_hash=found.root_hash,
            commitment=found.commitment,
            **_aggregated(found.anchor),
        )

    @allow(*SIGNED_IN)
    async def GetMerkleProof(self, request: pb.GetMerkleProofRequest, context: Context) -> pb.GetMerkleProofResponse:
        bundle = await self._anchoring.proof_for_staff(current_principal(), object_id(request.id, "id"))
        return pb.GetMerkleProofResponse(proof=_bundle(bundle))

    @public
    async def LookupMerkleProof(
        self, request: pb.LookupMerkleProofRequest, context: Context
    ) -> pb.LookupMerkleProofResponse:
        if not request.token:
            raise InvalidArgument("INVALID_FIELD", "token is required", fields={"token": "the product token"})
        return pb.LookupMerkleProofResponse(proof=_bundle(await self._anchoring.proof_for_token(request.token)))

    @allow(*SIGNED_IN)
    async def ListAnchors(self, request: pb.ListAnchorsRequest, context: Context) -> pb.ListAnchorsResponse:
        state = None
        if request.state:
            state = enums_pb2.AnchorState.Name(request.state).removeprefix("ANCHOR_STATE_")
            if state not in STATES:
                state = None
        factory_id = object_id(request.factory_id, "factory_id") if request.factory_id else None
        rows, token = await self._anchoring.list(
            current_principal(), request.page_size, request.page_token, state, factory_id
        )
        required = self._anchoring.required_confirmations
        return pb.ListAnchorsResponse(anchors=[_record(row, required) for row in rows], next_page_token=token)

    @allow(Role.ADMIN)
    async def RetryAnchor(self, request: pb.RetryAnchorRequest, context: Context) -> pb.RetryAnchorResponse:
        row = await self._anchoring.retry(object_id(request.batch_id, "batch_id"))
        return pb.RetryAnchorResponse(anchor=_record(row, self._anchoring.required_confirmations))
