"""Use cases of the factory service: the one place for transactions, idempotency, lifecycle and token rules.

The servicer (api.py) converts protobuf to the arguments here and the returned factory_svc.model rows back;
SQL lives in storage.py. Operators and service accounts see only their own factory: any other factory's
batch, product or webhook is NOT_FOUND.
"""

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from factory_svc import csvio, domain, epcis, storage, storage_epcis
from factory_svc.model import Batch, Delivery, Product, Webhook
from factory_svc.settings import FactorySettings
from factory_svc.webhooks import check_target
from voketag import audit, gs1, ids, lifecycle, paging, tokens, xlsx
from voketag.auth import Principal
from voketag.db import Connection
from voketag.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from voketag.idempotency import replay
from voketag.lifecycle import ENDED, PENDING_RELEASE, RELEASED
from voketag.paging import Page
from voketag.tokens import KeyRing, link

_BATCH_NOT_FOUND = ("BATCH_NOT_FOUND", "no such batch")
_PRODUCT_NOT_FOUND = ("PRODUCT_NOT_FOUND", "no such product")
_WEBHOOK_NOT_FOUND = ("WEBHOOK_NOT_FOUND", "no such webhook")
_CURSOR = (datetime.fromisoformat, uuid.UUID)
EPCIS_MAX_RANGE = timedelta(days=366)
# Events per eventID computation: one JSON-LD pass of the hash generator for many small events.
EPCIS_HASH_GROUP = 100


@dataclass(frozen=True)
class NewBatch:
    """CreateBatch's fields, unchecked."""

    factory_id: str
    sku: str
    product_line: str
    product_name: str
    quantity: int
    metadata: Mapping[str, str]
    lifecycle: str | None
    open_for_s: int
    open_for_nanos: int
    gtin: str = ""
    lot: str = ""
    expiry_date: str = ""


@dataclass(frozen=True)
class ImportTarget:
    """Where an import goes: an existing batch, or a new batch described by the other fields."""

    request_id: str
    batch_id: str
    factory_id: str
    sku: str
    product_line: str
    product_name: str


@dataclass(frozen=True)
class Imported:
    batch_id: str
    rows: int
    batch_created: bool
    bytes_received: int


@dataclass(frozen=True)
class BatchFilters:
    factory_id: str
    state: str | None
    lifecycle: str | None
    sku: str
    created_after: datetime | None
    created_before: datetime | None


def _expired_meanwhile() -> Unavailable:
    """The request id's record was there when we tried to claim it and gone when we read it: the retention
    cleanup deleted it in between (only at the very end of its window). A retry finds the id free."""
    return Unavailable("REQUEST_IN_PROGRESS", "a request with this request_id just expired; retry it")


def _check_growable(batch: Batch, added: int) -> None:
    """Products may join a batch only while it is open (its Merkle tree is fixed when it is sealed)."""
    if batch.lifecycle in ENDED:
        raise FailedPrecondition("BATCH_ENDED", f"the batch is {batch.lifecycle.lower()}")
    if not batch.open:
        raise FailedPrecondition(
            "BATCH_SEALED",
            "the batch is sealed (created without open_for, its open window ended, or SealBatch was called);"
            " create a new batch",
        )
    if batch.quantity + added > domain.MAX_QUANTITY:
        raise FailedPrecondition("BATCH_FULL", f"a batch holds at most {domain.MAX_QUANTITY:,} products")


def _own_states(target: str | None, batch: Batch) -> tuple[bool, frozenset[str]] | None:
    return lifecycle.product_states_for(target, batch.lifecycle) if target else None


class Factory:
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

    def link_pattern(self, batch: Batch) -> str:
        if batch.gs1_keys.gtin:
            return gs1.link_pattern(self._settings.public_base_url, batch.gs1_keys)
        return self._link_prefix + "{token}"

    def _link(self, keys: gs1.Keys, serial: int, token: str) -> str:
        """The printed link: a GS1 Digital Link URI for a batch with a GTIN, else the /R/ link."""
        if keys.gtin:
            return gs1.link(self._settings.public_base_url, keys, serial, token)
        return self._link_prefix + token

    # --- lookups --------------------------------------------------------------------------------------------

    async def _owned_factory(self, principal: Principal | None, requested: str) -> str:
        factory_id = domain.owner(principal, requested)
        if not await storage.factory_exists(self._pool, factory_id):
            raise NotFound("FACTORY_NOT_FOUND", "no such factory")
        return factory_id

    async def _visible_batch(self, principal: Principal | None, batch_id: str, field: str = "id") -> Batch:
        batch = await storage.get_batch(self._pool, ids.object_id(batch_id, field), domain.scope(principal))
        if batch is None:
            raise NotFound(*_BATCH_NOT_FOUND)
        return batch

    async def _visible_webhook(self, principal: Principal | None, webhook_id: str, field: str = "id") -> Webhook:
        hook = await storage.get_webhook(self._pool, ids.object_id(webhook_id, field), domain.scope(principal))
        if hook is None:
            raise NotFound(*_WEBHOOK_NOT_FOUND)
        return hook

    # --- batches --------------------------------------------------------------------------------------------

    async def create_batch(self, principal: Principal | None, request_id: str, new: NewBatch) -> Batch:
        request_id = ids.request_id(request_id)
        initial = new.lifecycle or RELEASED
        if initial not in (RELEASED, PENDING_RELEASE):
            raise InvalidArgument(
                "INVALID_LIFECYCLE",
                "initial_lifecycle must be RELEASED or PENDING_RELEASE",
                fields={"initial_lifecycle": "not allowed"},
            )
        product_line = domain.text(new.product_line, "product_line", domain.PRODUCT_LINE_CHARS)
        batch: dict[str, Any] = {
            "sku": domain.sku(new.sku),
            "product_line": product_line,
            "product_name": domain.text(new.product_name or product_line, "product_name", domain.PRODUCT_NAME_CHARS),
            "quantity": domain.quantity(new.quantity),
            "metadata": domain.metadata(new.metadata, domain.BATCH_METADATA_ENTRIES),
            "lifecycle": initial,
        }
        keys = gs1.keys(new.gtin, new.lot, new.expiry_date)
        if keys.gtin:
            # Only when set, so that batches without GS1 keys keep their request hash.
            batch.update(gtin=keys.gtin, lot=keys.lot, expiry=keys.expiry)
        open_for_s = domain.open_for(new.open_for_s, new.open_for_nanos)
        if open_for_s:
            # Only when set, so that batches created before open windows existed keep their request hash.
            batch["open_for_s"] = open_for_s
        batch["factory_id"] = await self._owned_factory(principal, new.factory_id)
        request_hash = ids.request_hash(batch)
        return await self._create_batch(
            principal, {"open_for_s": 0, **batch, "request_id": request_id, "request_hash": request_hash}, None
        )

    async def _create_batch(
        self, principal: Principal | None, batch: dict[str, Any], staged: tuple[Connection, int] | None
    ) -> Batch:
        """Create a batch idempotently: its products come from a COPY, or (import) from the staging table
        of the ``staged`` connection (with its row count), whose open transaction is used for the whole change."""
        existing = await storage.batch_by_request(self._pool, batch["factory_id"], batch["request_id"])
        if existing is not None:
            return self._same_batch(existing, batch["request_hash"])
        count = staged[1] if staged else batch["quantity"]
        first_serial = await storage.reserve_serials(self._pool, count)
        values = {
            **batch,
            "quantity": count,
            "id": str(uuid.uuid4()),
            "key_id": self._keys.signing_key_id,
            "created_by": principal.subject if principal else "",
        }
        if staged is not None:
            created = await self._insert_batch(staged[0], values, first_serial, count, from_staging=True)
        else:
            async with self._pool.acquire() as conn, conn.transaction():
                created = await self._insert_batch(conn, values, first_serial, count, from_staging=False)
        if created is None:
            # A concurrent retry with the same request id won; its batch is the answer.
            winner = await storage.batch_by_request(self._pool, batch["factory_id"], batch["request_id"])
            assert winner is not None, "ON CONFLICT reported a row that is not there"
            return self._same_batch(winner, batch["request_hash"])
        self._wake_relay()
        return created

    async def _insert_batch(
        self, conn: Connection, values: dict[str, Any], first_serial: int, count: int, *, from_staging: bool
    ) -> Batch | None:
        async with conn.transaction():  # a savepoint inside an import: a lost race undoes only this part
            if not await storage.insert_batch(conn, values):
                return None
            if from_staging:
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
            return await storage.get_batch(conn, values["id"], None)

    @staticmethod
    def _same_batch(batch: Batch, request_hash: str) -> Batch:
        return replay("batch", batch, batch.request_hash, request_hash)

    async def get_batch(self, principal: Principal | None, batch_id: str) -> Batch:
        return await self._visible_batch(principal, batch_id)

    async def list_batches(
        self, principal: Principal | None, filters: BatchFilters, page_token: str, page_size: int
    ) -> Page[Batch]:
        limit = paging.page_size(page_size)
        query = {
            "factory_id": ids.object_id(filters.factory_id, "factory_id") if filters.factory_id else None,
            "state": filters.state,
            "lifecycle": filters.lifecycle,
            "sku": filters.sku or None,
            "created_after": filters.created_after,
            "created_before": filters.created_before,
        }
        after = paging.decode_token(page_token, query, _CURSOR)
        rows = await storage.list_batches(self._pool, domain.scope(principal), query, after, limit + 1)
        return paging.paginate(rows, limit, lambda batch: [batch.created_at.isoformat(), batch.id], query)

    async def seal_batch(self, principal: Principal | None, batch_id: str) -> Batch:
        """End an open batch's window now; a sealed batch is left as it is."""
        batch_id = ids.object_id(batch_id)
        async with self._pool.acquire() as conn, conn.transaction():
            batch = await storage.get_batch(conn, batch_id, domain.scope(principal), lock=True)
            if batch is None:
                raise NotFound(*_BATCH_NOT_FOUND)
            if not batch.open:
                return batch
            await storage.seal_now(conn, batch_id)
            await audit.record(conn, "batch", batch_id, {"sealed": True, "quantity": batch.quantity})
            sealed = await storage.get_batch(conn, batch_id, None)
        self._wake_relay()
        assert sealed is not None
        return sealed

    async def change_batch(
        self, principal: Principal | None, batch_id: str, target: str, reason: str, public_reason: str
    ) -> Batch:
        if target != RELEASED:
            reason, public_reason = domain.reason(reason), domain.public_reason(public_reason)
        batch_id = ids.object_id(batch_id)
        async with self._pool.acquire() as conn, conn.transaction():
            batch = await storage.get_batch(conn, batch_id, domain.scope(principal), lock=True)
            if batch is None:
                raise NotFound(*_BATCH_NOT_FOUND)
            if batch.lifecycle == target:
                return batch  # a retry of the same change
            if batch.lifecycle in ENDED:
                raise FailedPrecondition("BATCH_ENDED", f"the batch is already {batch.lifecycle.lower()}")
            await storage.set_batch_lifecycle(conn, batch_id, target, reason, public_reason, ended=target in ENDED)
            await storage.add_event(
                conn,
                str(uuid.uuid4()),
                batch_id,
                batch.factory_id,
                f"batch.{target.lower()}",
                {"reason": reason, "public_reason": public_reason},
            )
            await audit.record(
                conn, "batch", batch_id, {"lifecycle": target, "reason": reason, "public_reason": public_reason}
            )
            changed = await storage.get_batch(conn, batch_id, None)
        self._wake_relay()
        assert changed is not None
        return changed

    # --- products -------------------------------------------------------------------------------------------

    def _tokens(self, product: Product, full: bool) -> Product:
        """The product with its token fingerprint, and with its token and link when ``full``."""
        token = self._keys.issue(product.serial, product.key_id)
        keys = product.gs1_keys
        return replace(
            product,
            token_fingerprint=tokens.fingerprint(token),
            token=token if full else "",
            link=self._link(keys, product.serial, token) if full else "",
            gs1_element_string=gs1.element_string(keys, product.serial) if keys.gtin else "",
        )

    async def _audit_token_read(self, batch_id: str, count: int, details: Mapping[str, Any]) -> None:
        """Every read that hands out tokens is on the audit log (actor from the RPC context)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await audit.record(conn, "batch", batch_id, {"tokens_read": count, **details})

    async def create_product(
        self,
        principal: Principal | None,
        request_id: str,
        batch_id: str,
        external_id: str,
        metadata: Mapping[str, str],
    ) -> Product:
        """The new product with its token: the creator prints its label."""
        request_id = ids.request_id(request_id)
        fields: dict[str, Any] = {
            "batch_id": ids.object_id(batch_id, "batch_id"),
            "external_id": domain.external_id(external_id),
            "metadata": domain.metadata(metadata, domain.PRODUCT_METADATA_ENTRIES, reserved=csvio.RESERVED_KEYS),
        }
        batch = await self._visible_batch(principal, batch_id, "batch_id")
        factory_id = batch.factory_id
        request_hash = ids.request_hash(fields)
        claimed = await storage.find_request(self._pool, factory_id, "product", request_id)
        if claimed is None:
            serial = await storage.reserve_serials(self._pool, 1)
            product_id = str(uuid.uuid4())
            async with self._pool.acquire() as conn, conn.transaction():
                locked = await storage.get_batch(conn, fields["batch_id"], factory_id, lock=True)
                assert locked is not None, "batches are never deleted"
                _check_growable(locked, 1)
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
            product_id = replay("product", claimed.object_id, claimed.request_hash, request_hash)
        product = await storage.get_product(self._pool, product_id, factory_id)
        assert product is not None
        return self._tokens(product, full=True)

    @staticmethod
    async def _insert_product(conn: Connection, product_id: str, serial: int, fields: dict[str, Any]) -> None:
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

    async def get_product(self, principal: Principal | None, product_id: str, full: bool) -> Product:
        if full:
            domain.check_token_reader(principal)
        product = await storage.get_product(self._pool, ids.object_id(product_id), domain.scope(principal))
        if product is None:
            raise NotFound(*_PRODUCT_NOT_FOUND)
        if full:
            await self._audit_token_read(product.batch_id, 1, {"product_id": product.id})
        return self._tokens(product, full)

    async def list_products(
        self,
        principal: Principal | None,
        batch_id: str,
        target: str | None,
        full: bool,
        page_token: str,
        page_size: int,
    ) -> Page[Product]:
        limit = paging.page_size(page_size)
        if full:
            domain.check_token_reader(principal)
        batch = await self._visible_batch(principal, batch_id, "batch_id")
        filters = {"batch_id": batch.id, "lifecycle": target}
        after = paging.decode_token(page_token, filters, (int,))
        after_leaf = int(after[0]) if after else -1
        rows = await storage.list_products(self._pool, batch.id, _own_states(target, batch), after_leaf, limit + 1)
        page = paging.paginate(rows, limit, lambda product: [product.leaf_index], filters)
        if full and page.items:
            await self._audit_token_read(batch.id, len(page.items), {"first_leaf": page.items[0].leaf_index})
        return Page([self._tokens(product, full) for product in page.items], page.next_page_token)

    async def search_products(
        self,
        principal: Principal | None,
        serial: int | None,
        external_id: str,
        factory_id: str,
        page_token: str,
        page_size: int,
    ) -> Page[Product]:
        """Products found by serial or external id, never with their tokens; operators see their factory only."""
        limit = paging.page_size(page_size)
        if serial is None and not external_id:
            raise InvalidArgument(
                "INVALID_FIELD",
                "give a serial or an external_id",
                fields={"serial": "serial or external_id is required"},
            )
        external = domain.external_id(external_id) or None
        factory = ids.object_id(factory_id, "factory_id") if factory_id else None
        query = {"serial": serial, "external_id": external, "factory_id": factory}
        after = paging.decode_token(page_token, query, (int,))
        rows = await storage.search_products(
            self._pool,
            domain.scope(principal),
            factory,
            serial,
            external,
            int(after[0]) if after else -1,
            limit + 1,
        )
        page = paging.paginate(rows, limit, lambda product: [product.serial], query)
        return Page([self._tokens(product, full=False) for product in page.items], page.next_page_token)

    async def change_product(
        self, principal: Principal | None, product_id: str, target: str, reason: str, public_reason: str
    ) -> Product:
        reason, public_reason = domain.reason(reason), domain.public_reason(public_reason)
        scope = domain.scope(principal)
        product_id = ids.object_id(product_id)
        async with self._pool.acquire() as conn, conn.transaction():
            product = await storage.get_product(conn, product_id, scope, lock=True)
            if product is None:
                raise NotFound(*_PRODUCT_NOT_FOUND)
            if product.batch_lifecycle in ENDED:
                raise FailedPrecondition("BATCH_ENDED", f"the product's batch is {product.batch_lifecycle.lower()}")
            if product.own_lifecycle != target:
                if product.own_lifecycle in ENDED:
                    raise FailedPrecondition("PRODUCT_ENDED", f"the product is already {product.own_lifecycle.lower()}")
                await storage.set_product_lifecycle(conn, product_id, target, reason, public_reason)
                payload = {"product_id": product_id, "reason": reason, "public_reason": public_reason}
                await storage.add_event(
                    conn, str(uuid.uuid4()), product.batch_id, product.factory_id, f"product.{target.lower()}", payload
                )
                await audit.record(conn, "product", product_id, {"lifecycle": target, **payload})
            changed = await storage.get_product(conn, product_id, scope)
        self._wake_relay()
        assert changed is not None
        return self._tokens(changed, full=False)

    # --- CSV ------------------------------------------------------------------------------------------------

    async def import_csv(
        self, principal: Principal | None, target: ImportTarget, chunks: AsyncIterator[bytes]
    ) -> Imported:
        request_id = ids.request_id(target.request_id)
        batch: Batch | None = None
        if target.batch_id:
            batch = await self._visible_batch(principal, target.batch_id, "batch_id")
            _check_growable(batch, 1)
            params: dict[str, Any] = {"batch_id": batch.id}
            factory_id = batch.factory_id
        else:
            product_line = domain.text(target.product_line, "product_line", domain.PRODUCT_LINE_CHARS)
            factory_id = await self._owned_factory(principal, target.factory_id)
            params = {
                "sku": domain.sku(target.sku),
                "product_line": product_line,
                "product_name": domain.text(
                    target.product_name or product_line, "product_name", domain.PRODUCT_NAME_CHARS
                ),
                "factory_id": factory_id,
                "metadata": {},
                "lifecycle": RELEASED,
            }
        parser = csvio.ImportParser(self._settings.import_max_rows)
        digest = hashlib.sha256()
        received = 0
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.create_staging(conn)
            async for data in chunks:
                if len(data) > self._settings.import_max_chunk_bytes:
                    raise csvio.too_large(f"a chunk exceeds {self._settings.import_max_chunk_bytes:,} bytes")
                received += len(data)
                if received > self._settings.import_max_bytes:
                    raise csvio.too_large(f"more than {self._settings.import_max_bytes:,} bytes")
                digest.update(data)
                rows = parser.feed(data)
                if rows:
                    await storage.stage_rows(conn, csvio.staged(rows))
            rows = parser.finish()
            if rows:
                await storage.stage_rows(conn, csvio.staged(rows))
            request_hash = ids.request_hash({**params, "csv_sha256": digest.hexdigest()})
            if batch is not None:
                previous = await storage.find_request(self._pool, factory_id, "import", request_id)
                if previous is not None:
                    earlier = replay("import", previous, previous.request_hash, request_hash)
                    return Imported(earlier.object_id, int(earlier.result["rows"]), False, received)
            duplicate = await storage.first_duplicate(conn, batch.id if batch else None)
            if duplicate is not None:
                raise csvio.csv_error(duplicate, "external_id", "this external_id is already used")
            if batch is None:
                created = await self._create_batch(
                    principal,
                    {**params, "request_id": request_id, "request_hash": request_hash, "open_for_s": 0},
                    (conn, parser.rows),
                )
                return Imported(created.id, created.quantity, True, received)
            imported = await self._import_into(conn, batch, request_id, request_hash, parser.rows)
        self._wake_relay()
        return Imported(batch.id, imported, False, received)

    async def _import_into(self, conn: Connection, batch: Batch, request_id: str, request_hash: str, count: int) -> int:
        locked = await storage.get_batch(conn, batch.id, batch.factory_id, lock=True)
        assert locked is not None
        if not await storage.claim_request(conn, batch.factory_id, "import", request_id, request_hash, batch.id):
            # A concurrent retry claimed the key first and has committed; the client's retry gets its result.
            raise Unavailable("REQUEST_IN_PROGRESS", "a request with this request_id was running; retry it")
        _check_growable(locked, count)
        first_serial = await storage.reserve_serials(self._pool, count)
        await storage.move_staged(conn, batch.id, first_serial, await storage.next_leaf(conn, batch.id))
        await storage.grow_batch(conn, batch.id, count)
        await storage.request_outbox(conn, batch.id)
        await storage.set_request_result(conn, batch.factory_id, "import", request_id, {"rows": count})
        await audit.record(conn, "batch", batch.id, {"imported_rows": count, "request_id": request_id})
        return count

    async def export_csv(
        self, principal: Principal | None, batch_id: str, target: str | None, full: bool, as_xlsx: bool = False
    ) -> AsyncIterator[bytes]:
        """The batch as CSV chunks (the last one ends with the row-count trailer), from one snapshot; or the
        same rows as an .xlsx workbook, streamed once the snapshot's rows are written."""
        if full:
            domain.check_token_reader(principal)
        batch = await self._visible_batch(principal, batch_id, "batch_id")
        async with self._pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
            # The batch's lifecycle from the export's own snapshot decides the effective state of its rows.
            snapshot = await storage.get_batch(conn, batch.id, None)
            assert snapshot is not None
            own_states = _own_states(target, snapshot)
            if full:
                await self._audit_token_read(batch.id, await storage.count_products(conn, batch.id, own_states), {})
            writer = csvio.ExportWriter(await storage.metadata_keys(conn, batch.id))
            sheet = xlsx.SheetWriter("products", writer.header) if as_xlsx else None
            async for row in storage.export_rows(conn, batch.id, own_states):
                token = self._keys.issue(row.serial, snapshot.key_id)
                cells = (
                    row.id,
                    str(row.serial),
                    row.external_id,
                    token if full else "",
                    self._link(snapshot.gs1_keys, row.serial, token) if full else "",
                    lifecycle.effective(row.own_lifecycle, snapshot.lifecycle).state,
                    row.created_at.isoformat(),
                    tokens.fingerprint(token),
                )
                if sheet is not None:
                    sheet.add(writer.cells(cells, row.metadata))
                elif (chunk := writer.add(cells, row.metadata)) is not None:
                    yield chunk
        if sheet is None:
            yield writer.finish()
        else:
            async for chunk in sheet.chunks():
                yield chunk

    # --- EPCIS ----------------------------------------------------------------------------------------------

    async def export_epcis(
        self, principal: Principal | None, batch_id: str, start: datetime | None, end: datetime | None
    ) -> AsyncIterator[bytes]:
        """An EPCIS 2.0 document of a batch and/or a time range, streamed from one snapshot (docs/formats.md).

        Authorised like the CSV export (a factory's accounts see only their factory) and audited before the
        first byte. A document cut short is invalid JSON, so a client cannot mistake it for a complete one.
        """
        if start is not None and end is not None and not start < end <= start + EPCIS_MAX_RANGE:
            raise InvalidArgument(
                "INVALID_FIELD",
                "end_time must be after start_time and at most 366 days later",
                fields={"end_time": "after start_time, at most 366 days later"},
            )
        only = storage_epcis.Filter(domain.scope(principal), None, start, end)
        if batch_id:
            only = replace(only, batch_id=(await self._visible_batch(principal, batch_id, "batch_id")).id)
        elif start is None or end is None:
            raise InvalidArgument(
                "INVALID_FIELD",
                "name batch_id, or both start_time and end_time",
                fields={"start_time": "required with end_time when batch_id is empty"},
            )
        async with self._pool.acquire() as conn, conn.transaction():
            details = {"batch_id": only.batch_id or "", "start": start or "", "end": end or ""}
            await audit.record(conn, "export", "epcis", {key: str(value) for key, value in details.items()})
        writer = epcis.DocumentWriter(datetime.now(UTC))
        yield writer.head()
        async with self._pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
            async for events in _epcis_events(conn, only):
                yield writer.add(await asyncio.to_thread(epcis.with_ids, events))
        yield writer.tail()

    # --- webhooks -------------------------------------------------------------------------------------------

    async def create_webhook(
        self,
        principal: Principal | None,
        request_id: str,
        factory_id: str,
        url: str,
        events: list[str],
        description: str,
    ) -> Webhook:
        """The webhook; its secret is in the returned row (shown once, and again on a retry)."""
        request_id = ids.request_id(request_id)
        description = domain.text(description, "description", 200, required=False)
        await check_target(url, self._settings.webhook_allow_loopback)
        factory_id = await self._owned_factory(principal, factory_id)
        fields = {"url": url, "events": sorted(events), "description": description, "factory_id": factory_id}
        request_hash = ids.request_hash(fields)
        hook_id = str(uuid.uuid4())
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await storage.claim_request(conn, factory_id, "webhook", request_id, request_hash, hook_id)
            if claimed:
                hook = await storage.insert_webhook(
                    conn, {**fields, "id": hook_id, "secret": secrets.token_urlsafe(32)}
                )
                await audit.record(conn, "webhook", hook_id, {"url": url, "events": fields["events"]})
                return hook
        previous = await storage.find_request(self._pool, factory_id, "webhook", request_id)
        if previous is None:
            raise _expired_meanwhile()
        hook_id = replay("webhook", previous.object_id, previous.request_hash, request_hash)
        existing = await storage.get_webhook(self._pool, hook_id, factory_id)
        if existing is None:
            raise FailedPrecondition("WEBHOOK_DELETED", "the webhook created with this request_id was deleted")
        return existing

    async def list_webhooks(
        self, principal: Principal | None, factory_id: str, page_token: str, page_size: int
    ) -> Page[Webhook]:
        limit = paging.page_size(page_size)
        only = ids.object_id(factory_id, "factory_id") if factory_id else None
        filters = {"factory_id": only}
        after = paging.decode_token(page_token, filters, _CURSOR)
        rows = await storage.list_webhooks(self._pool, domain.scope(principal), only, after, limit + 1)
        return paging.paginate(rows, limit, lambda hook: [hook.created_at.isoformat(), hook.id], filters)

    async def delete_webhook(self, principal: Principal | None, webhook_id: str) -> None:
        hook = await self._visible_webhook(principal, webhook_id)
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.delete_webhook(conn, hook.id)
            await audit.record(conn, "webhook", hook.id, {"deleted": True})

    async def list_deliveries(
        self, principal: Principal | None, webhook_id: str, state: str | None, page_token: str, page_size: int
    ) -> Page[Delivery]:
        limit = paging.page_size(page_size)
        hook = await self._visible_webhook(principal, webhook_id, "webhook_id")
        filters = {"webhook_id": hook.id, "state": state}
        after = paging.decode_token(page_token, filters, _CURSOR)
        rows = await storage.list_deliveries(self._pool, hook.id, state, after, limit + 1)
        return paging.paginate(rows, limit, lambda delivery: [delivery.created_at.isoformat(), delivery.id], filters)


async def _epcis_events(conn: Connection, only: storage_epcis.Filter) -> AsyncIterator[list[dict[str, Any]]]:
    """The document's events in groups: commissioning, then lifecycle changes, then scans."""
    group: tuple[Any, datetime] | None = None
    epcs: list[str] = []
    async for row in storage_epcis.commissioned(conn, only):
        key = (row.batch_id, row.created_at)
        if group is not None and (key != group or len(epcs) == epcis.EPCS_PER_EVENT):
            yield [epcis.commissioning(group[1], epcs)]
            epcs = []
        group = key
        epcs.append(epcis.epc(str(row.id), row.serial, row.gtin))
    if group is not None:
        yield [epcis.commissioning(group[1], epcs)]
    for change in await storage_epcis.lifecycle_changes(conn, only):
        kind, _, name = change.type.partition(".")
        payload = change.payload
        public_reason = payload.get("public_reason", "")
        if kind == "product":
            serial = await storage_epcis.product_serial(conn, payload["product_id"])
            if serial is not None:
                product_epc = epcis.epc(payload["product_id"], serial, change.gtin)
                yield [epcis.lifecycle(name, change.created_at, [product_epc], public_reason)]
            continue
        epcs = []
        async for product in storage_epcis.batch_products(conn, str(change.batch_id)):
            epcs.append(epcis.epc(str(product.id), product.serial, change.gtin))
            if len(epcs) == epcis.EPCS_PER_EVENT:
                yield [epcis.lifecycle(name, change.created_at, epcs, public_reason)]
                epcs = []
        if epcs:
            yield [epcis.lifecycle(name, change.created_at, epcs, public_reason)]
    scans: list[dict[str, Any]] = []
    async for scan in storage_epcis.scans(conn, only):
        product_epc = epcis.epc(str(scan.product_id), scan.serial, scan.gtin)
        scans.append(epcis.scan(scan.scanned_at, product_epc, scan.country, scan.verdict, scan.risk_score))
        if len(scans) == EPCIS_HASH_GROUP:
            yield scans
            scans = []
    if scans:
        yield scans
