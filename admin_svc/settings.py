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
    # Failed logins tolerated per (account, client address) pair and per client address within the window,
    # then 429 for that pair or address only (admin_svc/throttle.py). The pair limit also applies to
    # service-account token exchanges per (client id, address).
    login_failures_per_pair: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=50, ge=1)
    login_window_s: int = Field(default=900, ge=1)
    # Failed logins per account from all addresses: a burst, then one more per interval (a delay, not a lockout).
    login_account_burst: int = Field(default=50, ge=1)
    login_account_interval_s: float = Field(default=30.0, gt=0)
    # Successful service-account token exchanges per credential: a burst, then one per interval.
    service_token_burst: int = Field(default=20, ge=1)
    service_token_interval_s: float = Field(default=10.0, gt=0)
    # argon2id cost; never below the OWASP minimum.
    argon2_memory_kib: int = Field(default=MEMORY_KIB, ge=MEMORY_KIB)
    argon2_time_cost: int = Field(default=TIME_COST, ge=TIME_COST)
    argon2_parallelism: int = Field(default=PARALLELISM, ge=PARALLELISM)
