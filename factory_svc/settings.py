"""Settings of the factory service and of its webhook worker, loaded once at each process's edge."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from voketag.settings import RuntimeSettings, TokenKeySettings


class WebhookSettings(BaseSettings):
    """What both the service (checking URLs at registration) and the worker (delivering) apply."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Development only: accept http:// and loopback webhook targets (local receivers, tests).
    webhook_allow_loopback: bool = False


class FactorySettings(RuntimeSettings, TokenKeySettings, WebhookSettings):
    grpc_port: int = 50052
    metrics_port: int = 9102
    # Seconds between outbox relay passes when nothing wakes it earlier (a commit wakes it at once).
    relay_interval_s: float = Field(default=1.0, gt=0)
    # Off only for fault tests and for running the relay in fewer replicas than the API.
    relay_enabled: bool = True
    # CSV import limits, enforced while the upload streams in (Envoy cannot cap chunked uploads).
    import_max_bytes: int = Field(default=64 << 20, ge=1)
    import_max_rows: int = Field(default=1_000_000, ge=1)
    import_max_chunk_bytes: int = Field(default=4 << 20, ge=1)
    # Seconds a request id of CreateProduct, ImportCsv into an existing batch and CreateWebhook is remembered
    # (factory_requests); a retry after that creates a new object. Clients retry for minutes, not days, so 7 days
    # covers any honest retry with a wide margin while keeping the table bounded. At least 1 hour, so that no
    # record can expire while the request that wrote it, or the client's retries of it, are still running.
    # Batches keep their request id as long as they exist (docs/factory.md).
    request_id_retention_s: int = Field(default=7 * 24 * 3600, ge=3600)
    # Seconds between passes of the cleanup that deletes expired request ids; the first pass comes after a
    # random part of one interval, so replicas restarted together do not all delete at once.
    request_id_cleanup_interval_s: float = Field(default=600.0, gt=0)


class WebhookWorkerSettings(WebhookSettings):
    """The Dramatiq worker's view: the database (deliveries, secrets) and the delivery policy."""

    database_url: SecretStr
    # Seconds one delivery attempt may take (connect + response).
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    # Exponential backoff between attempts (Dramatiq Retries): 1 s doubling to 1 h, 30 retries ~ 24 h.
    webhook_min_backoff_ms: int = Field(default=1_000, ge=1)
    webhook_max_backoff_ms: int = Field(default=3_600_000, ge=1)
    webhook_max_retries: int = Field(default=30, ge=0)
