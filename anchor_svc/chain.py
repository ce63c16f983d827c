"""The EVM node over JSON-RPC: fees, signing (locally), broadcast, receipts. Nothing here touches the database."""

from dataclasses import dataclass

from pydantic import SecretStr

from anchor_svc.eth import Account, checksum_address
from anchor_svc.jsonrpc import BadAnswer, JsonRpcClient
from voketag import tracing

# Intrinsic 21,000 plus calldata for 32 bytes, also under EIP-7623's floor price (10 gas per token, 4 tokens
# per non-zero byte); an upper bound, unused gas is not charged.
GAS_LIMIT = 30_000
GWEI = 10**9


class ChainUnavailable(Exception):
    """The node did not answer (down, timeout, refused connection)."""


class Rejected(Exception):
    """The node answered with an error for a transaction."""

    @property
    def refused(self) -> bool:
        """The node did not take the transaction into its pool, for a reason the same bytes cannot outgrow.

        Only these may end an aggregation: every other error (rate limits, internal errors, unknown text)
        could be the node's own trouble, so it is retried like an outage.
        """
        message = str(self).lower()
        return any(reason in message for reason in REFUSALS)


# Validation errors with which geth and anvil refuse a transaction before it enters their pool (the anvil
# wording checked against the node the tests run), so its nonce is still free. "insufficient funds" is here
# although a top-up cures it: the aggregation ends FAILED after the bound and RetryAnchor sends it again
# (docs/anchor.md explains the choice). Matched as lowercase substrings.
REFUSALS = (
    "insufficient funds",
    "intrinsic gas too low",
    "intrinsic gas too high",
    "exceeds block gas limit",
    "invalid sender",
    "invalid signature",
    "invalid chain id",
    "transaction type not supported",
    "tx type not supported",
    "oversized data",
    "tip higher than fee cap",
    "max priority fee per gas higher than max fee per gas",
    "gas uint64 overflow",
)


@dataclass(frozen=True)
class Fees:
    max_fee: int
    priority_fee: int

    def bumped(self, percent: int, network: "Fees", cap: int) -> "Fees":
        """A replacement's fees: at least +percent on both, at least the network's, at most ``cap``."""
        priority = max(self.priority_fee * (100 + percent) // 100 + 1, network.priority_fee)
        max_fee = max(self.max_fee * (100 + percent) // 100 + 1, network.max_fee, priority)
        return Fees(min(max_fee, cap), min(priority, cap))


@dataclass(frozen=True)
class Signed:
    tx_hash: str
    raw: bytes


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    block_hash: str
    status: int


@dataclass(frozen=True)
class Transaction:
    sender: str
    to: str
    data: bytes
    block_number: int | None


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


class Chain:
    def __init__(self, url: SecretStr, timeout_s: float, private_key: SecretStr | None = None) -> None:
        """Without ``private_key`` the chain is read-only (the offline verifier)."""
        # No retries in the client: the anchoring loop has its own backoff, and a timeout must mean timeout_s.
        self._rpc = JsonRpcClient(url.get_secret_value(), timeout_s)
        self._account = Account(private_key.get_secret_value()) if private_key else None
        self.sender: str = self._account.address if self._account else ""

    async def close(self) -> None:
        await self._rpc.close()

    async def _call(self, method: str, *params: object) -> object:
        try:
            with tracing.client_span(f"chain {method}") as headers:
                response = await self._rpc.call(method, list(params), headers)
        except (OSError, TimeoutError, BadAnswer) as exc:
            raise ChainUnavailable(f"chain node unreachable ({type(exc).__name__})") from exc
        if "error" in response:
            error = response["error"]
            raise Rejected(str(error.get("message", error) if isinstance(error, dict) else error))
        return response.get("result")

    async def chain_id(self) -> int:
        return int(str(await self._call("eth_chainId")), 16)

    async def block_number(self) -> int:
        return int(str(await self._call("eth_blockNumber")), 16)

    async def confirmed_nonce(self) -> int:
        return int(str(await self._call("eth_getTransactionCount", self.sender, "latest")), 16)

    async def pending_nonce(self) -> int:
        """The sender's count including transactions the node holds ready to mine (not those queued behind a
        nonce gap)."""
        return int(str(await self._call("eth_getTransactionCount", self.sender, "pending")), 16)

    async def block_hash(self, number: int) -> str | None:
        """Hash of block ``number`` (0: genesis, the chain's identity), None when the node has no such block."""
        block = await self._call("eth_getBlockByNumber", hex(number), False)
        return str(block["hash"]) if isinstance(block, dict) else None

    async def fees(self) -> Fees:
        """EIP-1559 fees that get mined soon: twice the base fee plus the suggested tip."""
        block = await self._call("eth_getBlockByNumber", "latest", False)
        base = int(str(block["baseFeePerGas"]), 16) if isinstance(block, dict) and block.get("baseFeePerGas") else 0
        priority = int(str(await self._call("eth_maxPriorityFeePerGas")), 16)
        return Fees(2 * base + priority, priority)

    def sign(self, chain_id: int, nonce: int, data: bytes, fees: Fees) -> Signed:
        """A type-2 transaction to ourselves whose input is ``data``."""
        if self._account is None:
            raise RuntimeError("this chain client has no signing key")
        signed = self._account.sign_dynamic_fee(
            chain_id=chain_id,
            nonce=nonce,
            to=self.sender,
            gas=GAS_LIMIT,
            max_fee=fees.max_fee,
            priority_fee=fees.priority_fee,
            data=data,
        )
        return Signed(_hex(signed.tx_hash), signed.raw)

    async def broadcast(self, raw: bytes) -> None:
        """Send signed bytes; a node that already has them is fine (the same bytes are the same transaction)."""
        try:
            await self._call("eth_sendRawTransaction", _hex(raw))
        except Rejected as exc:
            message = str(exc).lower()
            if "already known" in message or "already imported" in message or "known transaction" in message:
                return
            raise

    async def receipt(self, tx_hash: str) -> Receipt | None:
        result = await self._call("eth_getTransactionReceipt", tx_hash)
        if not isinstance(result, dict) or result.get("blockNumber") is None:
            return None
        return Receipt(
            tx_hash, int(result["blockNumber"], 16), result["blockHash"], int(result.get("status", "0x1"), 16)
        )

    async def transaction(self, tx_hash: str) -> Transaction | None:
        result = await self._call("eth_getTransactionByHash", tx_hash)
        if not isinstance(result, dict):
            return None
        block = result.get("blockNumber")
        return Transaction(
            sender=checksum_address(result["from"]),
            to=checksum_address(result["to"]) if result.get("to") else "",
            data=bytes.fromhex(str(result.get("input", "0x"))[2:]),
            block_number=int(block, 16) if block else None,
        )
