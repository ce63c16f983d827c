"""FactoryClient: the factory service over gRPC for MES/ERP integrations.

- credentials: a bearer token (a string, or a callable returning a fresh one for each call), sent as
  ``authorization`` metadata; TLS with ``secure=True`` (system roots or ``root_certificates``);
- deadlines: every call has ``timeout_s`` (default 30 s; uploads and exports ``stream_timeout_s``);
- retries: a gRPC service config retries UNAVAILABLE with exponential backoff, transparently;
- idempotency: every create carries a request id (generated once per call unless you pass one), so a
  retried create can never make a second batch; pass your own id to retry across process restarts.
"""

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import grpc

from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc

SERVICE = "voketag.factory.v1.FactoryService"
CHUNK_BYTES = 1 << 20
TRAILER = b"#rows="


def service_config(max_attempts: int = 5) -> str:
    """Retry policy: UNAVAILABLE only (the server did not act), 0.2 s doubling to 5 s.

    gRPC refuses a retry policy of fewer than two attempts, so ``max_attempts`` of 1 (or less) means
    no policy at all: every call is tried once.
    """
    method: dict[str, object] = {"name": [{"service": SERVICE}]}
    if max_attempts > 1:
        method["retryPolicy"] = {
            "maxAttempts": max_attempts,
            "initialBackoff": "0.2s",
            "maxBackoff": "5s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        }
    return json.dumps({"methodConfig": [method]})


class TruncatedExport(IOError):
    """The export stream ended without its #rows=<n> trailer (or with a wrong count)."""


class FactoryClient:
    def __init__(
        self,
        target: str,
        token: str | Callable[[], str],
        *,
        secure: bool = False,
        root_certificates: bytes | None = None,
        timeout_s: float = 30.0,
        stream_timeout_s: float = 3600.0,
        max_attempts: int = 5,
    ) -> None:
        options = [("grpc.service_config", service_config(max_attempts)), ("grpc.enable_retries", 1)]
        if secure:
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self._channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._stub = rpc.FactoryServiceStub(self._channel)
        self._token = token
        self._timeout_s = timeout_s
        self._stream_timeout_s = stream_timeout_s

    def __enter__(self) -> "FactoryClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        token = self._token() if callable(self._token) else self._token
        return (("authorization", f"Bearer {token}"),)

    def create_batch(
        self,
        sku: str,
        product_line: str,
        quantity: int,
        *,
        request_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        product_name: str = "",
        factory_id: str = "",
        pending_release: bool = False,
        open_for_s: int = 0,
    ) -> pb.Batch:
        """Create a batch; the same request_id with the same arguments returns the same batch.

        ``open_for_s`` > 0 keeps it open for ``create_product`` / ``upload_csv(batch_id=...)`` until then
        or until ``seal_batch``."""
        request = pb.CreateBatchRequest(
            request_id=request_id or str(uuid.uuid4()),
            sku=sku,
            product_line=product_line,
            quantity=quantity,
            metadata=dict(metadata or {}),
            product_name=product_name,
            factory_id=factory_id,
            initial_lifecycle="LIFECYCLE_STATE_PENDING_RELEASE" if pending_release else "LIFECYCLE_STATE_RELEASED",
        )
        if open_for_s:
            request.open_for.seconds = open_for_s
        return self._stub.CreateBatch(request, metadata=self._metadata(), timeout=self._timeout_s).batch

    def get_batch(self, batch_id: str) -> pb.Batch:
        return self._stub.GetBatch(
            pb.GetBatchRequest(id=batch_id), metadata=self._metadata(), timeout=self._timeout_s
        ).batch

    def seal_batch(self, batch_id: str) -> pb.Batch:
        """Close an open batch now; it is then anchored."""
        return self._stub.SealBatch(
            pb.SealBatchRequest(id=batch_id), metadata=self._metadata(), timeout=self._timeout_s
        ).batch

    def products(self, batch_id: str, page_size: int = 1000, *, with_tokens: bool = False) -> Iterator[pb.Product]:
        """Every product of a batch in serial order, page by page; tokens and links only ``with_tokens``
        (a read that is audited and allowed to the factory's own accounts and admins only)."""
        view = pb.PRODUCT_VIEW_FULL if with_tokens else pb.PRODUCT_VIEW_BASIC
        token = ""
        while True:
            page = self._stub.ListProducts(
                pb.ListProductsRequest(batch_id=batch_id, page_size=page_size, page_token=token, view=view),
                metadata=self._metadata(),
                timeout=self._timeout_s,
            )
            yield from page.products
            token = page.next_page_token
            if not token:
                return

    def upload_csv(
        self,
        source: str | Path | BinaryIO | Iterable[bytes],
        *,
        request_id: str | None = None,
        batch_id: str = "",
        sku: str = "",
        product_line: str = "",
        product_name: str = "",
        factory_id: str = "",
    ) -> pb.ImportCsvResponse:
        """Stream a CSV file (path, binary file or iterable of byte chunks) in 1 MiB chunks.

        Into ``batch_id`` when given, else into a new batch made from sku / product_line / product_name.
        """
        first = pb.ImportCsvRequest(
            request_id=request_id or str(uuid.uuid4()),
            batch_id=batch_id,
            sku=sku,
            product_line=product_line,
            product_name=product_name,
            factory_id=factory_id,
        )

        def messages() -> Iterator[pb.ImportCsvRequest]:
            sent_first = False
            for data in _chunks(source):
                message = pb.ImportCsvRequest()
                if not sent_first:
                    message.CopyFrom(first)
                    message.chunk.content_type = "text/csv"
                    sent_first = True
                message.chunk.data = data
                yield message
            if not sent_first:
                yield first

        return self._stub.ImportCsv(messages(), metadata=self._metadata(), timeout=self._stream_timeout_s)

    def export_csv(self, batch_id: str, destination: BinaryIO, *, with_tokens: bool = False) -> int:
        """Write a batch's CSV to ``destination``; return the row count, or raise TruncatedExport.

        The token and link columns are filled only ``with_tokens`` (rules as ``products``)."""
        tail = b""
        view = pb.PRODUCT_VIEW_FULL if with_tokens else pb.PRODUCT_VIEW_BASIC
        stream = self._stub.ExportCsv(
            pb.ExportCsvRequest(batch_id=batch_id, view=view), metadata=self._metadata(), timeout=self._stream_timeout_s
        )
        for chunk in stream:
            destination.write(chunk.data)
            tail = (tail + chunk.data)[-64:]
        last = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
        if not last.startswith(TRAILER) or not last[len(TRAILER) :].isdigit():
            raise TruncatedExport(f"the export of batch {batch_id} ended without its trailer line")
        return int(last[len(TRAILER) :])


def _chunks(source: str | Path | BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(source, str | Path):
        with Path(source).open("rb") as file:
            yield from iter(lambda: file.read(CHUNK_BYTES), b"")
    elif hasattr(source, "read"):
        yield from iter(lambda: source.read(CHUNK_BYTES), b"")
    else:
        for data in source:
            for start in range(0, len(data), CHUNK_BYTES):
                yield data[start : start + CHUNK_BYTES]
