"""Settings of the anchor service, loaded once in __main__ and passed down."""

from pydantic import SecretStr

from voketag.settings import RuntimeSettings, TokenKeySettings


class AnchorSettings(RuntimeSettings, TokenKeySettings):
    grpc_port: int = 50054
    metrics_port: int = 9104
    eth_rpc_url: SecretStr = SecretStr("http://127.0.0.1:8545")
