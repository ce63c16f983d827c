"""The anchor's JSON-RPC client against a small HTTP server of the test's own: connections kept alive, what a
node that answers badly or closes becomes, credentials from the URL. The anchoring tests run it against anvil."""

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from anchor_svc.chain import Chain, ChainUnavailable, Rejected


@dataclass
class Node:
    """Answers each JSON-RPC request with ``answer`` (status, body) and records what it saw."""

    status: int = 200
    body: bytes | None = None
    keep_alive: bool = True
    connections: int = 0
    requests: list[tuple[dict[str, str], dict]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
                headers[":request"] = lines[0]
                request = json.loads(await reader.readexactly(int(headers["content-length"])))
                self.requests.append((headers, request))
                body = self.body or json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x2a"}).encode()
                connection = "keep-alive" if self.keep_alive else "close"
                writer.write(
                    f"HTTP/1.1 {self.status} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                    f"connection: {connection}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                if not self.keep_alive:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def node() -> AsyncIterator[Node]:
    served = Node()
    server = await asyncio.start_server(served.handle, "127.0.0.1", 0)
    served.port = server.sockets[0].getsockname()[1]
    yield served
    server.close()
    await server.wait_closed()


async def test_calls_share_one_kept_alive_connection(node: Node) -> None:
    chain = Chain(SecretStr(f"http://127.0.0.1:{node.port}"), 2)
    try:
        assert [await chain.block_number() for _ in range(3)] == [42, 42, 42]
    finally:
        await chain.close()
    assert node.connections == 1
    assert [request["method"] for _, request in node.requests] == ["eth_blockNumber"] * 3
    assert len({request["id"] for _, request in node.requests}) == 3


async def test_a_node_that_closes_after_each_answer_gets_a_new_connection_per_call(node: Node) -> None:
    node.keep_alive = False
    chain = Chain(SecretStr(f"http://127.0.0.1:{node.port}"), 2)
    try:
        assert [await chain.block_number() for _ in range(2)] == [42, 42]
    finally:
        await chain.close()
    assert node.connections == 2


@pytest.mark.parametrize(("status", "body"), [(502, b"bad gateway"), (200, b"<html>not json</html>"), (200, b"[]")])
async def test_an_answer_that_is_no_json_rpc_response_means_the_node_is_unavailable(
    node: Node, status: int, body: bytes
) -> None:
    node.status, node.body = status, body
    chain = Chain(SecretStr(f"http://127.0.0.1:{node.port}"), 2)
    try:
        with pytest.raises(ChainUnavailable, match="BadAnswer"):
            await chain.block_number()
    finally:
        await chain.close()


async def test_an_error_object_is_the_nodes_refusal(node: Node) -> None:
    node.body = json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nonce too low"}}).encode()
    chain = Chain(SecretStr(f"http://127.0.0.1:{node.port}"), 2)
    try:
        with pytest.raises(Rejected, match="nonce too low"):
            await chain.broadcast(b"\x02")
    finally:
        await chain.close()


async def test_a_node_that_is_not_there_is_unavailable() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    chain = Chain(SecretStr(f"http://127.0.0.1:{port}"), 2)
    with pytest.raises(ChainUnavailable, match="ConnectionRefusedError"):
        await chain.chain_id()


async def test_credentials_in_the_url_become_basic_auth_and_the_path_is_kept(node: Node) -> None:
    chain = Chain(SecretStr(f"http://user:p%40ss@127.0.0.1:{node.port}/v3/key?x=1"), 2)
    try:
        await chain.chain_id()
    finally:
        await chain.close()
    [(headers, _)] = node.requests
    assert headers["authorization"] == "Basic " + base64.b64encode(b"user:p@ss").decode()
    assert headers["host"] == f"127.0.0.1:{node.port}"
    assert headers[":request"] == "POST /v3/key?x=1 HTTP/1.1"
