"""Entry point: settings -> storage -> serve."""

from admin_svc.api import SERVICE, AdminApi
from admin_svc.settings import AdminSettings
from voketag.admin.v1 import admin_service_pb2_grpc as rpc
from voketag.anchor.v1 import anchor_service_pb2
from voketag.factory.v1 import factory_service_pb2
from voketag.scan.v1 import scan_service_pb2
from voketag.server import Resources, Service, run_service

# Envoy sends reflection to the admin service, so grpcurl through the gateway sees the whole mesh.
MESH_CONTRACT = [
    scan_service_pb2.DESCRIPTOR.services_by_name["ScanService"].full_name,
    factory_service_pb2.DESCRIPTOR.services_by_name["FactoryService"].full_name,
    anchor_service_pb2.DESCRIPTOR.services_by_name["AnchorService"].full_name,
]


def services(resources: Resources) -> list[Service]:
    return [Service(AdminApi(), rpc.add_AdminServiceServicer_to_server, SERVICE)]


def main() -> None:
    run_service("admin", AdminSettings(), services, reflect=MESH_CONTRACT)


if __name__ == "__main__":
    main()
