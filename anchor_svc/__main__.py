"""Entry point: settings -> storage -> serve."""

from anchor_svc.api import SERVICE, AnchorApi
from voketag.anchor.v1 import anchor_service_pb2_grpc as rpc
from voketag.server import Resources, Service, run_service
from voketag.settings import AnchorSettings


def services(resources: Resources) -> list[Service]:
    return [Service(AnchorApi(), rpc.add_AnchorServiceServicer_to_server, SERVICE)]


def main() -> None:
    run_service("anchor", AnchorSettings(), services)


if __name__ == "__main__":
    main()
