"""Entry point: settings -> storage -> serve."""

from factory_svc.api import SERVICE, FactoryApi
from factory_svc.settings import FactorySettings
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag.server import Resources, Service, run_service


def services(resources: Resources) -> list[Service]:
    return [Service(FactoryApi(), rpc.add_FactoryServiceServicer_to_server, SERVICE)]


def main() -> None:
    run_service("factory", FactorySettings(), services)


if __name__ == "__main__":
    main()
