"""Entry point: settings -> storage -> serve."""

from anchor_svc.api import SERVICE, AnchorApi
from anchor_svc.settings import AnchorSettings
from voketag.anchor.v1 import anchor_service_pb2_grpc as rpc
from voketag.server import Resources, Service, run_service


def services(resources: Resources) -> list[Service]:
    return [Service(AnchorApi(), rpc.add_AnchorServiceServicer_to_server, SERVICE)]


def main() -> None:
    run_service("anchor", AnchorSettings(), services)


if __name__ == "__main__":
    main()
