"""Typed settings, loaded once from the environment at each process's edge and passed down."""

from ipaddress import IPv4Network, IPv6Network, ip_network

from pydantic import Field, IPvAnyNetwork, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK: tuple[IPv4Network | IPv6Network, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


class BrokerSettings(BaseSettings):
    """Where Dramatiq messages go: BROKER_URL (redis://... or amqp://... for RabbitMQ), else the Redis of REDIS_URL."""

    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    broker_url: SecretStr | None = None

    @property
    def queue_url(self) -> SecretStr:
        # An empty BROKER_URL counts as unset (compose files and shells pass "" for "not configured").
        if self.broker_url is not None and self.broker_url.get_secret_value():
            return self.broker_url
        return self.redis_url


class RuntimeSettings(BrokerSettings):
    """What every service process needs: storage, RPC endpoint, observability, token verification."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # SecretStr: URLs may carry passwords, and settings are logged at start-up.
    database_url: SecretStr
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(ge=0, le=65535)
    log_level: str = "INFO"
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    # Seconds SIGTERM waits for in-flight calls before cancelling them.
    shutdown_grace_s: float = Field(default=15.0, gt=0)
    # Seconds between dependency probes that drive the gRPC health status.
    health_interval_s: float = Field(default=2.0, gt=0)
    # Seconds a single dependency probe may take before it counts as a failure.
    health_timeout_s: float = Field(default=1.0, gt=0)
    auth_issuer: str = "voketag"
    auth_audience: str = "voketag-api"
    # JSON object {key id: PEM-encoded Ed25519 public key}; several ids allow key rotation.
    auth_public_keys: dict[str, str] = Field(default_factory=dict)
    # JSON list of networks whose calls may name the client in x-envoy-external-address: the gateway. Anyone
    # else who reaches the gRPC port directly is known by its own address, whatever the header says.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=lambda: list(LOOPBACK))
    # OTLP/HTTP traces endpoint (http://collector:4318/v1/traces); '' leaves tracing off (voketag/tracing.py).
    otlp_traces_endpoint: str = ""


class TokenKeySettings(BaseSettings):
    """The product-token key ring (voketag.tokens), for the services that issue or verify tokens."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # JSON {"<key id 0-255>": "<base64 secret of at least 32 bytes>"}.
    token_keys: dict[str, SecretStr] = Field(default_factory=dict)
    token_signing_key_id: int = Field(default=1, ge=0, le=255)
    # Key ids whose tokens are refused from now on (printed codes of that key stop verifying).
    token_retired_key_ids: list[int] = Field(default_factory=list)
    # Scheme and host printed in product links: <public_base_url>/R/<TOKEN>.
    public_base_url: str = "https://vtag.example"


class WorkerSettings(BrokerSettings):
    """The Dramatiq worker only needs the broker (and, with the anchor issue, the chain and database)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    otlp_traces_endpoint: str = ""


class MigrateSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: SecretStr
