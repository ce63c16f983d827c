"""Typed settings, loaded once from the environment at each process's edge and passed down."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RuntimeSettings(BaseSettings):
    """What every service process needs: storage, RPC endpoint, observability, token verification."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # SecretStr: URLs may carry passwords, and settings are logged at start-up.
    database_url: SecretStr
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
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


class ScanSettings(RuntimeSettings):
    grpc_port: int = 50051
    metrics_port: int = 9101


class FactorySettings(RuntimeSettings):
    grpc_port: int = 50052
    metrics_port: int = 9102


class AdminSettings(RuntimeSettings):
    grpc_port: int = 50053
    metrics_port: int = 9103


class AnchorSettings(RuntimeSettings):
    grpc_port: int = 50054
    metrics_port: int = 9104
    eth_rpc_url: SecretStr = SecretStr("http://127.0.0.1:8545")


class WorkerSettings(BaseSettings):
    """The Dramatiq worker only needs the broker (and, with the anchor issue, the chain and database)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")


class MigrateSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: SecretStr
