"""Entry point: settings -> storage -> serve."""

from scan_svc.api import SERVICE, ScanApi
from scan_svc.settings import ScanSettings
from voketag.scan.v1 import scan_service_pb2_grpc as rpc
from voketag.server import Resources, Service, run_service


def services(resources: Resources) -> list[Service]:
    return [Service(ScanApi(), rpc.add_ScanServiceServicer_to_server, SERVICE)]


def main() -> None:
    run_service("scan", ScanSettings(), services)


if __name__ == "__main__":
    main()
