"""Settings of the admin service, loaded once in __main__ and passed down."""

from voketag.settings import RuntimeSettings


class AdminSettings(RuntimeSettings):
    grpc_port: int = 50053
    metrics_port: int = 9103
