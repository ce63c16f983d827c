"""Settings of the factory service, loaded once in __main__ and passed down."""

from voketag.settings import RuntimeSettings, TokenKeySettings


class FactorySettings(RuntimeSettings, TokenKeySettings):
    grpc_port: int = 50052
    metrics_port: int = 9102
