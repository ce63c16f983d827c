"""Protobuf <-> factory_svc.model conversions and the contract's enums as the names the service stores."""

from datetime import UTC

from factory_svc import usecases
from factory_svc.model import AnchorFacts, Batch, Delivery, Product, Webhook
from voketag.common.v1 import anchor_pb2, enums_pb2
from voketag.errors import InvalidArgument
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.protos import timestamp

EVENT_TYPES = {
    pb.WEBHOOK_EVENT_BATCH_ANCHORED: "batch.anchored",
    pb.WEBHOOK_EVENT_BATCH_ANCHOR_FAILED: "batch.anchor_failed",
    pb.WEBHOOK_EVENT_BATCH_RELEASED: "batch.released",
    pb.WEBHOOK_EVENT_BATCH_REVOKED: "batch.revoked",
    pb.WEBHOOK_EVENT_BATCH_RECALLED: "batch.recalled",
    pb.WEBHOOK_EVENT_PRODUCT_REVOKED: "product.revoked",
    pb.WEBHOOK_EVENT_PRODUCT_RECALLED: "product.recalled",
    pb.WEBHOOK_EVENT_SCAN_SUSPICIOUS: "scan.suspicious",
}
EVENT_ENUMS = {name: value for value, name in EVENT_TYPES.items()}


def lifecycle_name(value: int, field: str = "lifecycle") -> str | None:
    """A LifecycleState as stored; None for UNSPECIFIED (no filter / the default)."""
    if value == enums_pb2.LIFECYCLE_STATE_UNSPECIFIED:
        return None
    if value not in enums_pb2.LifecycleState.values():
        raise InvalidArgument("INVALID_LIFECYCLE", "unknown lifecycle state", fields={field: "unknown"})
    return enums_pb2.LifecycleState.Name(value).removeprefix("LIFECYCLE_STATE_")


def batch_state_name(value: int) -> str | None:
    if value == enums_pb2.BATCH_STATE_UNSPECIFIED:
        return None
    if value not in enums_pb2.BatchState.values():
        raise InvalidArgument("INVALID_STATE", "unknown batch state", fields={"state": "unknown"})
    return enums_pb2.BatchState.Name(value).removeprefix("BATCH_STATE_")


def delivery_state_name(value: int) -> str | None:
    if value == pb.DELIVERY_STATE_UNSPECIFIED:
        return None
    if value not in pb.DeliveryState.values():
        raise InvalidArgument("INVALID_STATE", "unknown delivery state", fields={"state": "unknown"})
    return pb.DeliveryState.Name(value).removeprefix("DELIVERY_STATE_")


def full_view(value: int) -> bool:
    """True for PRODUCT_VIEW_FULL (tokens asked for explicitly); BASIC and UNSPECIFIED show fingerprints."""
    if value not in pb.ProductView.values():
        raise InvalidArgument("INVALID_FIELD", "unknown product view", fields={"view": "unknown"})
    return value == pb.PRODUCT_VIEW_FULL


def event_names(values: list[pb.WebhookEvent]) -> list[str]:
    if not 1 <= len(values) <= 16 or len(set(values)) != len(values):
        raise InvalidArgument("INVALID_EVENTS", "events must hold 1..16 distinct values", fields={"events": "invalid"})
    if any(value not in EVENT_TYPES for value in values):
        raise InvalidArgument("INVALID_EVENTS", "unknown or unspecified event", fields={"events": "unknown value"})
    return [EVENT_TYPES[value] for value in values]


def new_batch(request: pb.CreateBatchRequest) -> usecases.NewBatch:
    return usecases.NewBatch(
        factory_id=request.factory_id,
        sku=request.sku,
        product_line=request.product_line,
        product_name=request.product_name,
        quantity=request.quantity,
        metadata=dict(request.metadata),
        lifecycle=lifecycle_name(request.initial_lifecycle, "initial_lifecycle"),
        open_for_s=request.open_for.seconds,
        open_for_nanos=request.open_for.nanos,
        gtin=request.gtin,
        lot=request.lot,
        expiry_date=request.expiry_date,
    )


def batch_filters(request: pb.ListBatchesRequest) -> usecases.BatchFilters:
    return usecases.BatchFilters(
        factory_id=request.factory_id,
        state=batch_state_name(request.state),
        lifecycle=lifecycle_name(request.lifecycle),
        sku=request.sku,
        created_after=request.created_after.ToDatetime(UTC) if request.HasField("created_after") else None,
        created_before=request.created_before.ToDatetime(UTC) if request.HasField("created_before") else None,
    )


def import_target(first: pb.ImportCsvRequest) -> usecases.ImportTarget:
    return usecases.ImportTarget(
        request_id=first.request_id,
        batch_id=first.batch_id,
        factory_id=first.factory_id,
        sku=first.sku,
        product_line=first.product_line,
        product_name=first.product_name,
    )


def anchor_info(batch_id: str, facts: AnchorFacts) -> anchor_pb2.AnchorInfo:
    """The batch's anchor record as AnchorInfo; PENDING until the record exists (see docs/factory.md)."""
    state = facts.state or "PENDING"
    return anchor_pb2.AnchorInfo(
        state=f"ANCHOR_STATE_{state}",
        chain_id=facts.chain_id,
        tx_hash=facts.tx_hash,
        block_number=facts.block_number,
        confirmations=facts.confirmations,
        proof_url=f"/v1/anchor/{batch_id}" if state == "ANCHORED" else "",
        anchored_at=timestamp(facts.anchored_at),
        batch_root=facts.batch_root,
        sender=facts.sender,
    )


def batch(row: Batch, link_pattern: str) -> pb.Batch:
    return pb.Batch(
        id=row.id,
        factory_id=row.factory_id,
        sku=row.sku,
        product_line=row.product_line,
        product_name=row.product_name,
        quantity=row.quantity,
        state=f"BATCH_STATE_{row.state}",
        lifecycle=f"LIFECYCLE_STATE_{row.lifecycle}",
        link_pattern=link_pattern,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        released_at=timestamp(row.released_at),
        ended_at=timestamp(row.ended_at),
        seal_at=timestamp(row.seal_at),
        anchor=anchor_info(row.id, row.anchor),
        metadata=row.metadata,
        lifecycle_reason=row.lifecycle_reason,
        public_reason=row.public_reason,
        request_id=row.request_id,
        created_by=row.created_by,
        gtin=row.gs1_keys.gtin,
        lot=row.gs1_keys.lot,
        expiry_date=row.gs1_keys.expiry.isoformat() if row.gs1_keys.expiry else "",
    )


def product(row: Product) -> pb.Product:
    return pb.Product(
        id=row.id,
        batch_id=row.batch_id,
        serial=row.serial,
        token=row.token,
        link=row.link,
        token_fingerprint=row.token_fingerprint,
        lifecycle=f"LIFECYCLE_STATE_{row.lifecycle}",
        external_id=row.external_id,
        factory_id=row.factory_id,
        sku=row.sku,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        lifecycle_reason=row.lifecycle_reason,
        public_reason=row.public_reason,
        metadata=row.metadata,
        leaf_index=row.leaf_index,
        gs1_element_string=row.gs1_element_string,
    )


def webhook(row: Webhook) -> pb.Webhook:
    return pb.Webhook(
        id=row.id,
        factory_id=row.factory_id,
        url=row.url,
        events=[EVENT_ENUMS[name] for name in row.events],
        description=row.description,
        active=row.active,
        secret_hint=row.secret[-4:],
        created_at=timestamp(row.created_at),
    )


def delivery(row: Delivery) -> pb.WebhookDelivery:
    return pb.WebhookDelivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event=EVENT_ENUMS.get(row.event_type, pb.WEBHOOK_EVENT_UNSPECIFIED),
        event_id=row.event_id,
        state=f"DELIVERY_STATE_{row.state}",
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=timestamp(row.created_at),
        last_attempt_at=timestamp(row.last_attempt_at),
        next_attempt_at=timestamp(row.next_attempt_at),
        delivered_at=timestamp(row.delivered_at),
        object_id=row.object_id,
    )
