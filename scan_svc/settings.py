"""Settings of the scan service, loaded once in __main__ and passed down."""

from pydantic import BaseModel, Field, SecretStr

from voketag.settings import RuntimeSettings, TokenKeySettings


class Limit(BaseModel):
    """A GCRA limit: ``rate_per_s`` sustained, ``burst`` requests at once."""

    rate_per_s: float = Field(gt=0)
    burst: int = Field(ge=1)


class RiskWeights(BaseModel):
    """Points each factor adds at most; the score is their sum, capped at 100 (docs/scan.md)."""

    scan_count: int = Field(default=20, ge=0, le=100)
    distinct_devices: int = Field(default=35, ge=0, le=100)
    geo_dispersion: int = Field(default=50, ge=0, le=100)
    device_velocity: int = Field(default=35, ge=0, le=100)
    lifecycle_pending: int = Field(default=60, ge=0, le=100)
    lifecycle_ended: int = Field(default=100, ge=0, le=100)
    fraud_open: int = Field(default=15, ge=0, le=100)
    fraud_confirmed: int = Field(default=60, ge=0, le=100)
    # Most points unreviewed reports add to the public score together, however many are filed (the brand-facing
    # score counts each at fraud_open).
    fraud_unreviewed_cap: int = Field(default=20, ge=0, le=100)


class RiskThresholds(BaseModel):
    """Where each factor starts to count (``*_free``) and where it reaches its full weight (``*_full``)."""

    scan_count_free: int = Field(default=5, ge=0)
    scan_count_full: int = Field(default=50, ge=1)
    devices_free: int = Field(default=3, ge=0)
    devices_full: int = Field(default=20, ge=1)
    # Codes one device may scan within velocity_window_s before it looks like a copier checking stock.
    velocity_free: int = Field(default=10, ge=0)
    velocity_full: int = Field(default=100, ge=1)
    velocity_window_s: int = Field(default=3600, ge=60)
    # Faster than an airliner between two scans of one code: the code exists twice.
    impossible_speed_kmh: float = Field(default=1000.0, gt=0)
    # Scans this far apart count half, whatever the time between them.
    dispersion_km: float = Field(default=2000.0, gt=0)
    # Scans within this distance never count as travel (coarse locations are ~11 km cells).
    min_distance_km: float = Field(default=50.0, ge=0)
    # Two countries within this time count half (only countries known).
    country_hop_s: int = Field(default=3600, ge=0)
    # How long the first place a client network claimed for a code is remembered: its later contradicting
    # claims never become the trail other clients are compared with.
    client_place_ttl_s: int = Field(default=7 * 86400, ge=60)
    # Score at or above which a released product's verdict is SUSPICIOUS.
    suspicious_score: int = Field(default=50, ge=1, le=100)


class ScanSettings(RuntimeSettings, TokenKeySettings):
    grpc_port: int = 50051
    metrics_port: int = 9101
    # Group commit: the most scans one transaction records at once.
    scan_write_batch: int = Field(default=64, ge=1)
    # Key of the device fingerprint (a keyed hash); unset: derived from the signing token key (dev only).
    device_salt: SecretStr | None = None
    # Ed25519 private key (PEM) that signs ledger checkpoints; unset: derived from the signing token key.
    ledger_signing_key: SecretStr | None = None
    ledger_key_id: str = Field(default="ledger-1", min_length=1, max_length=64)
    ledger_seal_interval_s: float = Field(default=0.5, gt=0)
    ledger_checkpoint_interval_s: float = Field(default=10.0, gt=0)
    # A sequence number missing this long (its transaction rolled back) is sealed as a void entry.
    ledger_gap_grace_s: float = Field(default=60.0, gt=0)
    # Origin line of the C2SP checkpoints and name of the ledger's signing key in them (a schema-less URL).
    ledger_origin: str = Field(default="voketag.local/scan-ledger", pattern=r"^[^\s+]*[^\s+0-9][^\s+]*$")
    # Witness verifier keys (C2SP vkeys of type 0x04, "<name>+<hex id>+<base64 key>") whose cosignatures
    # the ledger accepts and serves with its checkpoints.
    ledger_witness_keys: list[str] = Field(default_factory=list)
    # False: this instance runs no sealer and gives no scan receipts (bench/scan_verify.py measures the cost of
    # both with it; a deployment keeps it on, or the ledger is never sealed).
    ledger_transparency: bool = True
    # Monthly scans partitions kept ready after the current month (docs/scan.md, "Growth of the scans table").
    scan_partitions_ahead_months: int = Field(default=3, ge=1, le=24)
    # Full months of scans kept before the current month; older partitions are dropped once they are rolled
    # up and covered by a signed ledger checkpoint. 0 keeps every scan.
    scan_retention_months: int = Field(default=0, ge=0)
    scan_partition_interval_s: float = Field(default=3600.0, gt=0)
    # Counterfeit scans wait in Redis at most this long before they reach the admin rollups.
    counterfeit_flush_interval_s: float = Field(default=10.0, gt=0)
    limit_ip: Limit = Limit(rate_per_s=5, burst=300)
    limit_device: Limit = Limit(rate_per_s=1, burst=250)
    limit_code: Limit = Limit(rate_per_s=1, burst=60)
    # Fraud reports per client network (on top of limit_ip).
    limit_report: Limit = Limit(rate_per_s=0.05, burst=10)
    # Seconds Redis is skipped after a failure (fail open without waiting for timeouts on every call).
    redis_retry_after_s: float = Field(default=2.0, gt=0)
    risk_weights: RiskWeights = RiskWeights()
    risk_thresholds: RiskThresholds = RiskThresholds()
    # Regular expression (case-insensitive) of link-preview bots and crawlers: page yes, scan no.
    bot_user_agents: str = (
        r"bot\b|crawler|spider|facebookexternalhit|facebookcatalog|slackbot|twitterbot|whatsapp|telegrambot|"
        r"discordbot|linkedinbot|skypeuripreview|embedly|pinterest|redditbot|applebot|googlebot|bingbot|"
        r"yandex|duckduckbot|baiduspider|preview"
    )


class LedgerVerifySettings(TokenKeySettings):
    """voketag-ledger-verify: the database, and any key that can check checkpoint signatures (all optional)."""

    database_url: SecretStr
    # Ed25519 public key (PEM) of LEDGER_SIGNING_KEY: enough to check checkpoints without any secret.
    ledger_public_key: str | None = None
    ledger_signing_key: SecretStr | None = None
