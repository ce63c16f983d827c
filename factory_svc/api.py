"""FactoryService handlers: proto <-> domain only.

Factory systems and staff: batches, products, CSV, webhooks. Operators and service accounts see only
their own factory: any other factory's batch, product or webhook is NOT_FOUND.
"""

import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import grpc
from google.api import httpbody_pb2

from factory_svc import csvio, domain, storage
from factory_svc.domain import ENDED, PENDING_RELEASE, RECALLED, RELEASED, REVOKED
from factory_svc.settings import FactorySettings
from factory_svc.webhooks import check_target
from voketag import audit, paging
from voketag.auth import FACTORY_WRITERS, SIGNED_IN, allow, current_principal
from voketag.common.v1 import anchor_pb2, enums_pb2
from voketag.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag.protos import timestamp
from voketag.tokens import KeyRing, link

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["FactoryService"]

_ANCHOR_STATES = {
    "CREATED": enums_pb2.ANCHOR_STATE_PENDING,
    "ANCHORING": enums_pb2.ANCHOR_STATE_SUBMITTED,
    "ANCHORED": enums_pb2.ANCHOR_STATE_ANCHORED,
    "FAILED": enums_pb2.ANCHOR_STATE_FAILED,
}
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
_BATCH_NOT_FOUND = ("BATCH_NOT_FOUND", "no such batch")
_PRODUCT_NOT_FOUND = ("PRODUCT_NOT_FOUND", "no such product")
_WEBHOOK_NOT_FOUND = ("WEBHOOK_NOT_FOUND", "no such webhook")


def _lifecycle_enum(name: str) -> int:
    return enums_pb2.LifecycleState.Value(f"LIFECYCLE_STATE_{name}")


def _lifecycle_name(value: int) -> str | None:
    if value == enums_pb2.LIFECYCLE_STATE_UNSPECIFIED:
        return None
    if value not in enums_pb2.LifecycleState.values():
        raise InvalidArgument("INVALID_LIFECYCLE", "unknown lifecycle state", fields={"lifecycle": "unknown"})
    return enums_pb2.LifecycleState.Name(value).removeprefix("LIFECYCLE_STATE_")


def _reused(kind: str) -> AlreadyExists:
    return AlreadyExists(
        "REQUEST_ID_REUSED",
        f"request_id was already used for a different {kind} request; use a new request_id for new work",
        fields={"request_id": "already used with a different body"},
    )


def _expired_meanwhile() -> Unavailable:
    """The request id's record was there when we tried to claim it and gone when we read it: the retention
    cleanup deleted it in between (only at the very end of its window). A retry finds the id free."""
    return Unavailable("REQUEST_IN_PROGRESS", "a request with this request_id just expired; retry it")


def _subject() -> str:
    principal = current_principal()
    return principal.subject if principal else ""


def _deliveries_state(value: int) -> str | None:
    if value == pb.DELIVERY_STATE_UNSPECIFIED:
        return None
    return pb.DeliveryState.Name(value).removeprefix("DELIVERY_STATE_")


class FactoryApi(rpc.FactoryServiceServicer):
    def __init__(self, pool: asyncpg.Pool, settings: FactorySettings, wake_relay: Callable[[], None]) -> None:
        self._pool = pool
        self._settings = settings
        self._wake_relay = wake_relay
        self._keys = KeyRing.from_config(
            {kid: key.get_secret_value() for kid, key in settings.token_keys.items()},
            settings.token_signing_key_id,
            settings.token_retired_key_ids,
        )
        self._link_prefix = link(settings.public_base_url, "")

    # --- conversions ----------------------------------------------------------------------------------------

    def _batch(self, row: asyncpg.Record) -> pb.Batch:
        return pb.Batch(
            id=str(row["id"]),
            factory_id=str(row["factory_id"]),
            sku=row["sku"],
            product_line=row["product_line"],
            product_name=row["product_name"],
            quantity=row["quantity"],
            state=enums_pb2.BatchState.Value(f"BATCH_STATE_{row['state']}"),
            lifecycle=_lifecycle_enum(row["lifecycle"]),
            link_pattern=self._link_prefix + "{token}",
            created_at=timestamp(row["created_at"]),
            updated_at=timestamp(row["updated_at"]),
            released_at=timestamp(row["released_at"]),
            ended_at=timestamp(row["ended_at"]),
            anchor=anchor_pb2.AnchorInfo(state=_ANCHOR_STATES[row["state"]]),
            metadata=json.loads(row["metadata"]),
            lifecycle_reason=row["lifecycle_reason"],
            request_id=row["request_id"] or "",
            created_by=row["created_by"],
        )

    def _product(self, row: asyncpg.Record) -> pb.Product:
        token = self._keys.issue(row["serial"], row["key_id"])
        return pb.Product(
            id=str(row["id"]),
            batch_id=str(row["batch_id"]),
            serial=row["serial"],
            token=token,
            link=self._link_prefix + token,
            lifecycle=_lifecycle_enum(domain.effective_lifecycle(row["batch_lifecycle"], row["lifecycle"])),
            external_id=row["external_id"],
            factory_id=str(row["factory_id"]),
            sku=row["sku"],
            created_at=timestamp(row["created_at"]),
            updated_at=timestamp(row["updated_at"]),
            lifecycle_reason=row["lifecycle_reason"],
            metadata=json.loads(row["metadata"]),
            leaf_index=row["leaf_index"],
        )

    def _webhook(self, row: asyncpg.Record) -> pb.Webhook:
        return pb.Webhook(
            id=str(row["id"]),
            factory_id=str(row["factory_id"]),
            url=row["url"],
            events=[EVENT_ENUMS[name] for name in row["events"]],
            description=row["description"],
            active=row["active"],
            secret_hint=row["secret"][-4:],
            created_at=timestamp(row["created_at"]),
        )

    # --- lookups --------------------------------------------------------------------------------------------

    async def _owned_factory(self, requested: str) -> str:
        factory_id = domain.owner(current_principal(), requested)
        if not await storage.factory_exists(self._pool, factory_id):
            raise NotFound("FACTORY_NOT_FOUND", "no such factory")
        return factory_id

    async def _visible_batch(self, batch_id: str, field: str = "id") -> asyncpg.Record:
        row = await storage.get_batch(self._pool, domain.object_id(batch_id, field), domain.scope(current_principal()))
        if row is None:
            raise NotFound(*_BATCH_NOT_FOUND)
        return row

    async def _visible_webhook(self, webhook_id: str, field: str = "id") -> asyncpg.Record:
        row = await storage.get_webhook(
            self._pool, domain.object_id(webhook_id, field), domain.scope(current_principal())
        )
        if row is None:
            raise NotFound(*_WEBHOOK_NOT_FOUND)
        return row

    # --- batches --------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def CreateBatch(self, request: pb.CreateBatchRequest, context: Context) -> pb.CreateBatchResponse:
        request_id = domain.request_id(request.request_id)
        lifecycle = _lifecycle_name(request.initial_lifecycle) or RELEASED
        if lifecycle not in (RELEASED, PENDING_RELEASE):
            raise InvalidArgument(
                "INVALID_LIFECYCLE",
                "initial_lifecycle must be RELEASED or PENDING_RELEASE",
                fields={"initial_lifecycle": "not allowed"},
            )
        product_line = domain.text(request.product_line, "product_line", 128)
        batch = {
            "sku": domain.sku(request.sku),
            "product_line": product_line,
            "product_name": domain.text(request.product_name or product_line, "product_name", 200),
            "quantity": domain.quantity(request.quantity),
            "metadata": domain.metadata(request.metadata, domain.BATCH_METADATA_ENTRIES),
            "lifecycle": lifecycle,
        }
        factory_id = await self._owned_factory(request.factory_id)
        batch["factory_id"] = factory_id
        request_hash = domain.request_hash(batch)
        row = await self._create_batch(
            {**batch, "request_id": request_id, "request_hash": request_hash}, None, request.quantity
        )
        return pb.CreateBatchResponse(batch=self._batch(row))

    async def _create_batch(
        self, batch: dict[str, Any], staged_conn: asyncpg.Connection | None, count: int
    ) -> asyncpg.Record:
        """Create a batch idempotently: its products come from a COPY, or (import) from the staging table
        of ``staged_conn``, whose open transaction is then used for the whole change."""
        existing = await storage.batch_by_request(self._pool, batch["factory_id"], batch["request_id"])
        if existing is not None:
            return self._same_batch(existing, batch["request_hash"])
        first_serial = await storage.reserve_serials(self._pool, count)
        values = {
            **batch,
            "quantity": count,
            "id": str(uuid.uuid4()),
            "key_id": self._keys.signing_key_id,
            "created_by": _subject(),
        }
        if staged_conn is not None:
            row = await self._insert_batch(staged_conn, values, first_serial, count)
        else:
            async with self._pool.acquire() as conn, conn.transaction():
                row = await self._insert_batch(conn, values, first_serial, count)
        if row is None:
            # A concurrent retry with the same request id won; its batch is the answer.
            winner = await storage.batch_by_request(self._pool, batch["factory_id"], batch["request_id"])
            assert winner is not None, "ON CONFLICT reported a row that is not there"
            return self._same_batch(winner, batch["request_hash"])
        self._wake_relay()
        return row

    async def _insert_batch(
        self, conn: asyncpg.Connection, values: dict[str, Any], first_serial: int, count: int
    ) -> asyncpg.Record | None:
        async with conn.transaction():  # a savepoint inside an import: a lost race undoes only this part
            row = await storage.insert_batch(conn, values)
            if row is None:
                return None
            if values.get("staged"):
                await storage.move_staged(conn, values["id"], first_serial, 0)
            else:
                await storage.copy_products(conn, values["id"], first_serial, count)
            await storage.request_outbox(conn, values["id"])
            await audit.record(
                conn,
                "batch",
                values["id"],
                {"quantity": count, "sku": values["sku"], "request_id": values["request_id"]},
            )
            return row

    @staticmethod
    def _same_batch(row: asyncpg.Record, request_hash: str) -> asyncpg.Record:
        if row["request_hash"] != request_hash:
            raise _reused("batch")
        return row

    @allow(*SIGNED_IN)
    async def GetBatch(self, request: pb.GetBatchRequest, context: Context) -> pb.GetBatchResponse:
        return pb.GetBatchResponse(batch=self._batch(await self._visible_batch(request.id)))

    @allow(*SIGNED_IN)
    async def ListBatches(self, request: pb.ListBatchesRequest, context: Context) -> pb.ListBatchesResponse:
        limit = paging.page_size(request.page_size)
        state = None
        if request.state != enums_pb2.BATCH_STATE_UNSPECIFIED:
            if request.state not in enums_pb2.BatchState.values():
                raise InvalidArgument("INVALID_STATE", "unknown batch state", fields={"state": "unknown"})
            state = enums_pb2.BatchState.Name(request.state).removeprefix("BATCH_STATE_")
        filters = {
            "factory_id": domain.object_id(request.factory_id, "factory_id") if request.factory_id else None,
            "state": state,
            "lifecycle": _lifecycle_name(request.lifecycle),
            "sku": request.sku or None,
            "created_after": request.created_after.ToDatetime(UTC) if request.HasField("created_after") else None,
            "created_before": request.created_before.ToDatetime(UTC) if request.HasField("created_before") else None,
        }
        after = paging.decode_token(request.page_token, filters, (datetime.fromisoformat, uuid.UUID))
        rows = await storage.list_batches(self._pool, domain.scope(current_principal()), filters, after, limit + 1)
        token = ""
        if len(rows) > limit:
            rows = rows[:limit]
            token = paging.encode_token([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])], filters)
        return pb.ListBatchesResponse(batches=[self._batch(row) for row in rows], next_page_token=token)

    # --- products -------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def CreateProduct(self, request: pb.CreateProductRequest, context: Context) -> pb.CreateProductResponse:
        request_id = domain.request_id(request.request_id)
        fields = {
            "batch_id": domain.object_id(request.batch_id, "batch_id"),
            "external_id": domain.external_id(request.external_id),
            "metadata": domain.metadata(request.metadata, domain.PRODUCT_METADATA_ENTRIES),
        }
        batch = await self._visible_batch(request.batch_id, "batch_id")
        factory_id = str(batch["factory_id"])
        request_hash = domain.request_hash(fields)
        claimed = await storage.find_request(self._pool, factory_id, "product", request_id)
        if claimed is None:
            serial = await storage.reserve_serials(self._pool, 1)
            product_id = str(uuid.uuid4())
            async with self._pool.acquire() as conn, conn.transaction():
                locked = await storage.get_batch(conn, fields["batch_id"], factory_id, lock=True)
                assert locked is not None, "batches are never deleted"
                self._check_growable(locked, 1)
                won = await storage.claim_request(conn, factory_id, "product", request_id, request_hash, product_id)
                if won:
                    await self._insert_product(conn, product_id, serial, fields)
            if won:
                self._wake_relay()
            else:
                claimed = await storage.find_request(self._pool, factory_id, "product", request_id)
                if claimed is None:
                    raise _expired_meanwhile()
        if claimed is not None:
            if claimed["request_hash"] != request_hash:
                raise _reused("product")
            product_id = str(claimed["object_id"])
        row = await storage.get_product(self._pool, product_id, factory_id)
        assert row is not None
        return pb.CreateProductResponse(product=self._product(row))

    @staticmethod
    async def _insert_product(conn: asyncpg.Connection, product_id: str, serial: int, fields: dict[str, Any]) -> None:
        try:
            await storage.insert_product(
                conn, product_id, fields["batch_id"], serial, fields["external_id"], fields["metadata"]
            )
        except asyncpg.UniqueViolationError:
            raise AlreadyExists(
                "EXTERNAL_ID_EXISTS",
                "another product of this batch has this external_id",
                fields={"external_id": "already used in this batch"},
            ) from None
        await storage.grow_batch(conn, fields["batch_id"], 1)
        await storage.request_outbox(conn, fields["batch_id"])
        await audit.record(conn, "product", product_id, {"batch_id": fields["batch_id"]})

    @staticmethod
    def _check_growable(batch: asyncpg.Record, added: int) -> None:
        """Products may join a batch only before anchoring starts (its Merkle tree is then fixed)."""
        if batch["lifecycle"] in ENDED:
            raise FailedPrecondition("BATCH_ENDED", f"the batch is {batch['lifecycle'].lower()}")
        if batch["state"] != "CREATED":
            raise FailedPrecondition("BATCH_SEALED", "the batch is being or has been anchored; create a new batch")
        if batch["quantity"] + added > domain.MAX_QUANTITY:
            raise FailedPrecondition("BATCH_FULL", f"a batch holds at most {domain.MAX_QUANTITY:,} products")

    @allow(*SIGNED_IN)
    async def GetProduct(self, request: pb.GetProductRequest, context: Context) -> pb.GetProductResponse:
        row = await storage.get_product(self._pool, domain.object_id(request.id), domain.scope(current_principal()))
        if row is None:
            raise NotFound(*_PRODUCT_NOT_FOUND)
        return pb.GetProductResponse(product=self._product(row))

    @allow(*SIGNED_IN)
    async def ListProducts(self, request: pb.ListProductsRequest, context: Context) -> pb.ListProductsResponse:
        limit = paging.page_size(request.page_size)
        batch = await self._visible_batch(request.batch_id, "batch_id")
        lifecycle = _lifecycle_name(request.lifecycle)
        filters = {"batch_id": str(batch["id"]), "lifecycle": lifecycle}
        after = paging.decode_token(request.page_token, filters, (int,))
        after_leaf = int(after[0]) if after else -1
        rows = await storage.list_products(self._pool, str(batch["id"]), lifecycle, after_leaf, limit + 1)
        token = ""
        if len(rows) > limit:
            rows = rows[:limit]
            token = paging.encode_token([rows[-1]["leaf_index"]], filters)
        return pb.ListProductsResponse(products=[self._product(row) for row in rows], next_page_token=token)

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def _change_batch(self, batch_id: str, target: str, reason: str) -> asyncpg.Record:
        scope = domain.scope(current_principal())
        batch_id = domain.object_id(batch_id)
        async with self._pool.acquire() as conn, conn.transaction():
            batch = await storage.get_batch(conn, batch_id, scope, lock=True)
            if batch is None:
                raise NotFound(*_BATCH_NOT_FOUND)
            if batch["lifecycle"] == target:
                return batch  # a retry of the same change
            if batch["lifecycle"] in ENDED:
                raise FailedPrecondition("BATCH_ENDED", f"the batch is already {batch['lifecycle'].lower()}")
            row = await storage.set_batch_lifecycle(conn, batch_id, target, reason)
            await storage.add_event(
                conn,
                str(uuid.uuid4()),
                batch_id,
                str(batch["factory_id"]),
                f"batch.{target.lower()}",
                {"reason": reason},
            )
            await audit.record(conn, "batch", batch_id, {"lifecycle": target, "reason": reason})
        self._wake_relay()
        return row

    @allow(*FACTORY_WRITERS)
    async def ReleaseBatch(self, request: pb.ReleaseBatchRequest, context: Context) -> pb.ReleaseBatchResponse:
        return pb.ReleaseBatchResponse(batch=self._batch(await self._change_batch(request.id, RELEASED, "")))

    @allow(*FACTORY_WRITERS)
    async def RevokeBatch(self, request: pb.RevokeBatchRequest, context: Context) -> pb.RevokeBatchResponse:
        reason = domain.reason(request.reason)
        return pb.RevokeBatchResponse(batch=self._batch(await self._change_batch(request.id, REVOKED, reason)))

    @allow(*FACTORY_WRITERS)
    async def RecallBatch(self, request: pb.RecallBatchRequest, context: Context) -> pb.RecallBatchResponse:
        reason = domain.reason(request.reason)
        return pb.RecallBatchResponse(batch=self._batch(await self._change_batch(request.id, RECALLED, reason)))

    async def _change_product(self, product_id: str, target: str, reason: str) -> pb.Product:
        scope = domain.scope(current_principal())
        product_id = domain.object_id(product_id)
        async with self._pool.acquire() as conn, conn.transaction():
            product = await storage.get_product(conn, product_id, scope, lock=True)
            if product is None:
                raise NotFound(*_PRODUCT_NOT_FOUND)
            if product["batch_lifecycle"] in ENDED:
                raise FailedPrecondition("BATCH_ENDED", f"the product's batch is {product['batch_lifecycle'].lower()}")
            if product["lifecycle"] != target:
                if product["lifecycle"] in ENDED:
                    raise FailedPrecondition("PRODUCT_ENDED", f"the product is already {product['lifecycle'].lower()}")
                await storage.set_product_lifecycle(conn, product_id, target, reason)
                payload = {"product_id": product_id, "reason": reason}
                await storage.add_event(
                    conn,
                    str(uuid.uuid4()),
                    str(product["batch_id"]),
                    str(product["factory_id"]),
                    f"product.{target.lower()}",
                    payload,
                )
                await audit.record(conn, "product", product_id, {"lifecycle": target, "reason": reason})
            row = await storage.get_product(conn, product_id, scope)
        self._wake_relay()
        assert row is not None
        return self._product(row)

    @allow(*FACTORY_WRITERS)
    async def RevokeProduct(self, request: pb.RevokeProductRequest, context: Context) -> pb.RevokeProductResponse:
        reason = domain.reason(request.reason)
        return pb.RevokeProductResponse(product=await self._change_product(request.id, REVOKED, reason))

    @allow(*FACTORY_WRITERS)
    async def RecallProduct(self, request: pb.RecallProductRequest, context: Context) -> pb.RecallProductResponse:
        reason = domain.reason(request.reason)
        return pb.RecallProductResponse(product=await self._change_product(request.id, RECALLED, reason))

    # --- CSV ------------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def ImportCsv(self, requests: AsyncIterator[pb.ImportCsvRequest], context: Context) -> pb.ImportCsvResponse:
        first = await anext(aiter(requests), None)
        if first is None:
            raise InvalidArgument("CSV_EMPTY", "the upload carried no message", fields={"chunk": "missing"})
        request_id = domain.request_id(first.request_id)
        if first.batch_id:
            batch = await self._visible_batch(first.batch_id, "batch_id")
            self._check_growable(batch, 1)
            params: dict[str, Any] = {"batch_id": str(batch["id"])}
            factory_id = str(batch["factory_id"])
        else:
            batch = None
            product_line = domain.text(first.product_line, "product_line", 128)
            factory_id = await self._owned_factory(first.factory_id)
            params = {
                "sku": domain.sku(first.sku),
                "product_line": product_line,
                "product_name": domain.text(first.product_name or product_line, "product_name", 200),
                "factory_id": factory_id,
                "metadata": {},
                "lifecycle": RELEASED,
            }
        parser = csvio.ImportParser(self._settings.import_max_rows)
        digest = hashlib.sha256()
        received = 0
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.create_staging(conn)
            message: pb.ImportCsvRequest | None = first
            stream = aiter(requests)
            while message is not None:
                data = message.chunk.data
                if len(data) > self._settings.import_max_chunk_bytes:
                    raise csvio.too_large(f"a chunk exceeds {self._settings.import_max_chunk_bytes:,} bytes")
                received += len(data)
                if received > self._settings.import_max_bytes:
                    raise csvio.too_large(f"more than {self._settings.import_max_bytes:,} bytes")
                digest.update(data)
                rows = parser.feed(data)
                if rows:
                    await storage.stage_rows(conn, csvio.staged(rows))
                message = await anext(stream, None)
            rows = parser.finish()
            if rows:
                await storage.stage_rows(conn, csvio.staged(rows))
            request_hash = domain.request_hash({**params, "csv_sha256": digest.hexdigest()})
            if batch is not None:
                previous = await storage.find_request(self._pool, factory_id, "import", request_id)
                if previous is not None:
                    return self._same_import(previous, request_hash, received)
            duplicate = await storage.first_duplicate(conn, str(batch["id"]) if batch else None)
            if duplicate is not None:
                raise csvio.csv_error(duplicate["line"], "external_id", "this external_id is already used")
            if batch is None:
                created = await self._create_batch(
                    {**params, "request_id": request_id, "request_hash": request_hash, "staged": True},
                    conn,
                    parser.rows,
                )
                return pb.ImportCsvResponse(
                    batch_id=str(created["id"]),
                    rows_imported=created["quantity"],
                    batch_created=True,
                    bytes_received=received,
                )
            imported = await self._import_into(conn, batch, factory_id, request_id, request_hash, parser.rows)
        self._wake_relay()
        return pb.ImportCsvResponse(batch_id=str(batch["id"]), rows_imported=imported, bytes_received=received)

    async def _import_into(
        self,
        conn: asyncpg.Connection,
        batch: asyncpg.Record,
        factory_id: str,
        request_id: str,
        request_hash: str,
        count: int,
    ) -> int:
        batch_id = str(batch["id"])
        locked = await storage.get_batch(conn, batch_id, factory_id, lock=True)
        assert locked is not None
        if not await storage.claim_request(conn, factory_id, "import", request_id, request_hash, batch_id):
            # A concurrent retry claimed the key first and has committed; the client's retry gets its result.
            raise Unavailable("REQUEST_IN_PROGRESS", "a request with this request_id was running; retry it")
        self._check_growable(locked, count)
        first_serial = await storage.reserve_serials(self._pool, count)
        await storage.move_staged(conn, batch_id, first_serial, await storage.next_leaf(conn, batch_id))
        await storage.grow_batch(conn, batch_id, count)
        await storage.request_outbox(conn, batch_id)
        await storage.set_request_result(conn, factory_id, "import", request_id, {"rows": count})
        await audit.record(conn, "batch", batch_id, {"imported_rows": count, "request_id": request_id})
        return count

    @staticmethod
    def _same_import(previous: asyncpg.Record, request_hash: str, received: int) -> pb.ImportCsvResponse:
        if previous["request_hash"] != request_hash:
            raise _reused("import")
        rows = int(json.loads(previous["result"])["rows"])
        return pb.ImportCsvResponse(batch_id=str(previous["object_id"]), rows_imported=rows, bytes_received=received)

    @allow(*SIGNED_IN)
    async def ExportCsv(self, request: pb.ExportCsvRequest, context: Context) -> AsyncIterator[httpbody_pb2.HttpBody]:
        batch = await self._visible_batch(request.batch_id, "batch_id")
        lifecycle = _lifecycle_name(request.lifecycle)
        writer = csvio.ExportWriter()
        key_id = batch["key_id"]
        first = True
        async with self._pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
            async for row in storage.export_rows(conn, str(batch["id"]), lifecycle):
                token = self._keys.issue(row["serial"], key_id)
                chunk = writer.add(
                    (
                        str(row["id"]),
                        str(row["serial"]),
                        row["external_id"],
                        token,
                        self._link_prefix + token,
                        row["lifecycle"],
                        row["created_at"].isoformat(),
                    )
                )
                if chunk is not None:
                    yield httpbody_pb2.HttpBody(content_type=csvio.CONTENT_TYPE if first else "", data=chunk)
                    first = False
        yield httpbody_pb2.HttpBody(content_type=csvio.CONTENT_TYPE if first else "", data=writer.finish())

    # --- webhooks -------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def CreateWebhook(self, request: pb.CreateWebhookRequest, context: Context) -> pb.CreateWebhookResponse:
        request_id = domain.request_id(request.request_id)
        if not 1 <= len(request.events) <= 16 or len(set(request.events)) != len(request.events):
            raise InvalidArgument(
                "INVALID_EVENTS", "events must hold 1..16 distinct values", fields={"events": "invalid"}
            )
        unknown = [event for event in request.events if event not in EVENT_TYPES]
        if unknown:
            raise InvalidArgument("INVALID_EVENTS", "unknown or unspecified event", fields={"events": "unknown value"})
        description = domain.text(request.description, "description", 200, required=False)
        await check_target(request.url, self._settings.webhook_allow_loopback)
        factory_id = await self._owned_factory(request.factory_id)
        fields = {
            "url": request.url,
            "events": sorted(EVENT_TYPES[event] for event in request.events),
            "description": description,
            "factory_id": factory_id,
        }
        request_hash = domain.request_hash(fields)
        hook_id = str(uuid.uuid4())
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await storage.claim_request(conn, factory_id, "webhook", request_id, request_hash, hook_id)
            if claimed:
                row = await storage.insert_webhook(conn, {**fields, "id": hook_id, "secret": secrets.token_urlsafe(32)})
                await audit.record(conn, "webhook", hook_id, {"url": request.url, "events": fields["events"]})
        if not claimed:
            previous = await storage.find_request(self._pool, factory_id, "webhook", request_id)
            if previous is None:
                raise _expired_meanwhile()
            if previous["request_hash"] != request_hash:
                raise _reused("webhook")
            row = await storage.get_webhook(self._pool, str(previous["object_id"]), factory_id)
            if row is None:
                raise FailedPrecondition("WEBHOOK_DELETED", "the webhook created with this request_id was deleted")
        return pb.CreateWebhookResponse(webhook=self._webhook(row), secret=row["secret"])

    @allow(*SIGNED_IN)
    async def ListWebhooks(self, request: pb.ListWebhooksRequest, context: Context) -> pb.ListWebhooksResponse:
        limit = paging.page_size(request.page_size)
        factory_id = domain.object_id(request.factory_id, "factory_id") if request.factory_id else None
        filters = {"factory_id": factory_id}
        after = paging.decode_token(request.page_token, filters, (datetime.fromisoformat, uuid.UUID))
        rows = await storage.list_webhooks(self._pool, domain.scope(current_principal()), factory_id, after, limit + 1)
        token = ""
        if len(rows) > limit:
            rows = rows[:limit]
            token = paging.encode_token([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])], filters)
        return pb.ListWebhooksResponse(webhooks=[self._webhook(row) for row in rows], next_page_token=token)

    @allow(*FACTORY_WRITERS)
    async def DeleteWebhook(self, request: pb.DeleteWebhookRequest, context: Context) -> pb.DeleteWebhookResponse:
        hook = await self._visible_webhook(request.id)
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.delete_webhook(conn, str(hook["id"]))
            await audit.record(conn, "webhook", str(hook["id"]), {"deleted": True})
        return pb.DeleteWebhookResponse()

    @allow(*SIGNED_IN)
    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        limit = paging.page_size(request.page_size)
        hook = await self._visible_webhook(request.webhook_id, "webhook_id")
        state = _deliveries_state(request.state)
        filters = {"webhook_id": str(hook["id"]), "state": state}
        after = paging.decode_token(request.page_token, filters, (datetime.fromisoformat, uuid.UUID))
        rows = await storage.list_deliveries(self._pool, str(hook["id"]), state, after, limit + 1)
        token = ""
        if len(rows) > limit:
            rows = rows[:limit]
            token = paging.encode_token([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])], filters)
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[
                pb.WebhookDelivery(
                    id=str(row["id"]),
                    webhook_id=str(row["webhook_id"]),
                    event=EVENT_ENUMS.get(row["event_type"], pb.WEBHOOK_EVENT_UNSPECIFIED),
                    event_id=str(row["event_id"]),
                    state=pb.DeliveryState.Value(f"DELIVERY_STATE_{row['state']}"),
                    attempts=row["attempts"],
                    last_status_code=row["last_status_code"],
                    last_error=row["last_error"],
                    created_at=timestamp(row["created_at"]),
                    last_attempt_at=timestamp(row["last_attempt_at"]),
                    next_attempt_at=timestamp(row["next_attempt_at"]),
                    delivered_at=timestamp(row["delivered_at"]),
                    object_id=str(row["object_id"]),
                )
                for row in rows
            ],
            next_page_token=token,
        )
