"""grpcurl lists the services through reflection, per service and through Envoy."""

import pytest

from devmesh.mesh import SERVICES, Mesh
from tests.support import grpcurl
from tests.test_health import FULL_NAMES


@pytest.mark.parametrize("name", SERVICES)
def test_grpcurl_lists_each_service_directly(mesh: Mesh, name: str) -> None:
    listed = grpcurl(f"127.0.0.1:{mesh.grpc_ports[name]}", "list").split()
    assert FULL_NAMES[name] in listed
    assert "grpc.health.v1.Health" in listed


def test_grpcurl_lists_the_whole_mesh_through_envoy(mesh: Mesh) -> None:
    listed = grpcurl(f"127.0.0.1:{mesh.port}", "list").split()
    assert set(FULL_NAMES.values()) <= set(listed)


def test_grpcurl_describes_and_calls_through_envoy(mesh: Mesh) -> None:
    described = grpcurl(f"127.0.0.1:{mesh.port}", "describe", "voketag.anchor.v1.AnchorService")
    assert "rpc GetMerkleProof" in described
    health = grpcurl("-H", "x-voketag-service: factory", f"127.0.0.1:{mesh.port}", "grpc.health.v1.Health/Check")
    assert '"status": "SERVING"' in health
