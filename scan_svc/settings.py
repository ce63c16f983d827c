"""Settings of the scan service, loaded once in __main__ and passed down."""

from voketag.settings import RuntimeSettings, TokenKeySettings


class ScanSettings(RuntimeSettings, TokenKeySettings):
    grpc_port: int = 50051
    metrics_port: int = 9101
