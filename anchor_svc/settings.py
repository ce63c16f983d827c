"""Settings of the anchor service and of its worker actors, loaded once at each process's edge."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from voketag.settings import RuntimeSettings, TokenKeySettings

# The first account of anvil's default mnemonic. Public knowledge: a development default only; production
# sets ANCHOR_PRIVATE_KEY (the value is a SecretStr and never logged).
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


class TreeSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Leaves per recomputed chunk = 2^bits: a proof re-derives one chunk, storage keeps the levels above it.
    anchor_chunk_bits: int = Field(default=8, ge=0, le=16)


class AnchorSettings(RuntimeSettings, TokenKeySettings, TreeSettings):
    grpc_port: int = 50054
    metrics_port: int = 9104
    eth_rpc_url: SecretStr = SecretStr("http://127.0.0.1:8545")
    # EIP-155 chain id the node must report at start (31337 = anvil).
    anchor_chain_id: int = Field(default=31337, ge=1)
    anchor_private_key: SecretStr = SecretStr(ANVIL_DEV_KEY)
    # Pending batch roots wait at most this long before they are aggregated (Anchor RPC: at once).
    anchor_interval_s: float = Field(default=60.0, gt=0)
    # How often the anchoring loop looks at pending work and at transactions in flight.
    anchor_tick_s: float = Field(default=1.0, gt=0)
    # Blocks (inclusive of the one holding the transaction) before a batch is ANCHORED.
    anchor_confirmations: int = Field(default=3, ge=1, le=1000)
    # A broadcast transaction without a receipt is sent again (same bytes) after this long.
    anchor_rebroadcast_s: float = Field(default=10.0, gt=0)
    # ... and replaced by a fee-bumped one (same nonce and data) after this long, at most max_fee_bumps times.
    anchor_stuck_after_s: float = Field(default=60.0, gt=0)
    anchor_max_fee_bumps: int = Field(default=5, ge=0)
    # geth refuses replacements below +10 %; web3's own helper uses +12.5 %.
    anchor_fee_bump_percent: int = Field(default=13, ge=10, le=300)
    # Upper bound of maxFeePerGas, in gwei: no bump goes above it.
    anchor_max_fee_gwei: float = Field(default=500.0, gt=0)
    # Exponential backoff of failed broadcasts: base * 2^attempts, capped.
    anchor_backoff_base_s: float = Field(default=1.0, gt=0)
    anchor_backoff_max_s: float = Field(default=60.0, gt=0)
    # A transaction the node refuses outright (insufficient funds, intrinsic gas, ...: never in its pool) is
    # FAILED after this many refusals, spaced by the backoff above, and its nonce goes to the next one.
    anchor_max_refusals: int = Field(default=5, ge=1)
    # Timeout of one JSON-RPC call to the chain node.
    anchor_rpc_timeout_s: float = Field(default=5.0, gt=0)


class AnchorWorkerSettings(TokenKeySettings, TreeSettings):
    """The request_anchor actor: it reads products and stores the batch tree."""

    database_url: SecretStr
    # Attempts of building a batch tree before the batch is FAILED and the message dead-lettered.
    anchor_build_retries: int = Field(default=8, ge=0)
    anchor_build_min_backoff_ms: int = Field(default=1000, ge=1)
