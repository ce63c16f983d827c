"""Settings of the admin service, loaded once in __main__ and passed down."""

from pydantic import Field, SecretStr

from admin_svc.secrets import MEMORY_KIB, PARALLELISM, TIME_COST
from voketag.settings import RuntimeSettings


class AdminSettings(RuntimeSettings):
    grpc_port: int = 50053
    metrics_port: int = 9103
    # PEM of the Ed25519 private key that signs access tokens; its public half is in AUTH_PUBLIC_KEYS[kid].
    auth_signing_key: SecretStr
    auth_signing_kid: str = "dev"
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    service_token_ttl_s: int = Field(default=3600, ge=60, le=3600)
    refresh_token_ttl_s: int = Field(default=604_800, ge=300)
    reset_token_ttl_s: int = Field(default=3600, ge=60)
    # Failed logins tolerated per account and per client address within the window, then 429.
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=50, ge=1)
    login_window_s: int = Field(default=900, ge=1)
    # argon2id cost; never below the OWASP minimum.
    argon2_memory_kib: int = Field(default=MEMORY_KIB, ge=MEMORY_KIB)
    argon2_time_cost: int = Field(default=TIME_COST, ge=TIME_COST)
    argon2_parallelism: int = Field(default=PARALLELISM, ge=PARALLELISM)
