"""voketag_client.FactoryClient against the running mesh (native gRPC through Envoy)."""

import io
import uuid

import pytest

from devmesh.mesh import Mesh
from tests.factory.conftest import Callers
from voketag_client import FactoryClient
from voketag_client.client import TruncatedExport


def test_client_creates_idempotently_uploads_and_exports(mesh: Mesh, callers: Callers) -> None:
    token = callers.service_a[0][1].removeprefix("Bearer ")
    with FactoryClient(f"127.0.0.1:{mesh.port}", lambda: token, timeout_s=30) as client:
        request_id = str(uuid.uuid4())
        batch = client.create_batch("CLI-1", "Clocks", 25, request_id=request_id, metadata={"line": "3"})
        assert client.create_batch("CLI-1", "Clocks", 25, request_id=request_id, metadata={"line": "3"}).id == batch.id
        assert client.get_batch(batch.id).quantity == 25
        products = list(client.products(batch.id, page_size=10, with_tokens=True))
        assert [product.leaf_index for product in products] == list(range(25))
        assert all(product.link.endswith(product.token) and product.token for product in products)
        assert not any(product.token for product in client.products(batch.id, page_size=10))
        imported = client.upload_csv(
            [b"external_id,colour\n", b"C-1,blue\nC-2,", b"green\n"], sku="CLI-2", product_line="Clocks"
        )
        assert imported.batch_created and imported.rows_imported == 2
        out = io.BytesIO()
        assert client.export_csv(imported.batch_id, out) == 2
        assert b"C-1" in out.getvalue() and out.getvalue().endswith(b"#rows=2\r\n")


def test_truncated_export_is_detected(mesh: Mesh, callers: Callers, monkeypatch: pytest.MonkeyPatch) -> None:
    token = callers.operator_a[0][1].removeprefix("Bearer ")
    with FactoryClient(f"127.0.0.1:{mesh.port}", token) as client:
        batch = client.create_batch("CLI-3", "Clocks", 3)

        stream = client._stub.ExportCsv
        # Drop the last chunk (the one carrying the trailer), as a cut connection would.
        monkeypatch.setattr(client._stub, "ExportCsv", lambda *args, **kwargs: list(stream(*args, **kwargs))[:-1])
        with pytest.raises(TruncatedExport):
            client.export_csv(batch.id, io.BytesIO())
