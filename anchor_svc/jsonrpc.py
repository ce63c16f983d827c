"""JSON-RPC 2.0 over HTTP/1.1 to the chain node: h11 on asyncio streams, connections kept alive between calls.

The anchor service asks the node something every tick from the start; an HTTP client library for that (aiohttp,
web3's transport) cost it 7.8 MiB of idle memory, h11 0.3 MiB (docs/operations.md, "Idle memory per process").
Like web3's provider over aiohttp: no retries, no proxies from the environment, basic auth from the URL's user
info, and a connection idle for KEEP_ALIVE_S is not used again (servers drop idle ones after a while).
"""

import asyncio
import base64
import contextlib
import itertools
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import h11

# aiohttp's default keep-alive timeout, below what HTTP servers and load balancers usually allow (60 s and up).
KEEP_ALIVE_S = 15.0
# Idle connections kept; more are opened while calls overlap (an RPC beside the anchoring loop), then closed.
MAX_IDLE = 4
READ_CHUNK = 64 * 1024


class BadAnswer(Exception):
    """The node's HTTP server answered something that is not a JSON-RPC response (status, framing, body)."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    protocol: h11.Connection = field(default_factory=lambda: h11.Connection(our_role=h11.CLIENT))
    idle_since: float = 0.0

    def reusable(self) -> bool:
        return not self.reader.at_eof() and time.monotonic() - self.idle_since < KEEP_ALIVE_S

    def close(self) -> None:
        self.writer.close()


class JsonRpcClient:
    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the chain node's URL must be http:// or https:// with a host")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._tls = ssl.create_default_context() if parts.scheme == "https" else None
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = [
            ("Host", parts.netloc.rpartition("@")[2]),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("User-Agent", "voketag-anchor"),
        ]
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self._headers.append(("Authorization", "Basic " + base64.b64encode(credentials).decode()))
        self._timeout_s = timeout_s
        self._idle: list[_Connection] = []
        self._ids = itertools.count(1)

    async def call(self, method: str, params: list[Any], headers: Mapping[str, str]) -> dict[str, Any]:
        """The node's response object (with "result" or "error"). Raises OSError, TimeoutError (the whole call,
        connecting included, took longer than the timeout) or BadAnswer."""
        body = json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}).encode()
        request = h11.Request(
            method="POST",
            target=self._target,
            headers=[*self._headers, ("Content-Length", str(len(body))), *headers.items()],
        )
        async with asyncio.timeout(self._timeout_s):
            connection = await self._connection()
            try:
                status, answer = await self._exchange(connection, request, body)
            except BaseException:
                # Half-written or half-read (or cancelled by the timeout): never reused.
                connection.close()
                raise
        if status != 200:
            raise BadAnswer(f"HTTP {status}")
        try:
            response = json.loads(answer)
        except ValueError as exc:
            raise BadAnswer("the answer is not JSON") from exc
        if not isinstance(response, dict):
            raise BadAnswer("the answer is not a JSON-RPC response object")
        return response

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
            with contextlib.suppress(OSError):
                await connection.writer.wait_closed()

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable():
                return connection
            connection.close()
        reader, writer = await asyncio.open_connection(self._host, self._port, ssl=self._tls)
        return _Connection(reader, writer)

    async def _exchange(self, connection: _Connection, request: h11.Request, body: bytes) -> tuple[int, bytes]:
        protocol = connection.protocol
        try:
            connection.writer.write(
                b"".join(protocol.send(event) or b"" for event in (request, h11.Data(data=body), h11.EndOfMessage()))
            )
            await connection.writer.drain()
            status, chunks = 0, []
            while True:
                event = protocol.next_event()
                if event is h11.NEED_DATA:
                    protocol.receive_data(await connection.reader.read(READ_CHUNK))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise BadAnswer("the node closed the connection before it answered")
        except h11.ProtocolError as exc:
            raise BadAnswer(f"malformed HTTP answer: {exc}") from exc
        if protocol.our_state is h11.DONE and protocol.their_state is h11.DONE:
            protocol.start_next_cycle()
            self._keep(connection)
        else:
            connection.close()
        return status, b"".join(chunks)

    def _keep(self, connection: _Connection) -> None:
        if len(self._idle) >= MAX_IDLE:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        self._idle.append(connection)
