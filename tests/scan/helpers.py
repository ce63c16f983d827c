"""Helpers the scan tests share: calls through Envoy and reading a service's Prometheus endpoint."""

import httpx


async def verify(client: httpx.AsyncClient, token: str, body: dict | None = None, **headers: str) -> dict:
    reply = await client.post(f"/api/verify/{token}", json=body or {}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def factor(reply: dict, kind: str) -> dict:
    return next(f for f in reply["factors"] if f["kind"] == f"RISK_FACTOR_KIND_{kind}")


def forge(token: str) -> str:
    """The token with its last characters (part of the tag) changed."""
    return token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BAAA")


def metrics_text(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def metric(port: int, name: str) -> float:
    """Sum of the samples of a Prometheus metric (``name`` may carry a full label set)."""
    total = 0.0
    for line in metrics_text(port).splitlines():
        if line.startswith(name) and not line.startswith("#"):
            sample, value = line.rsplit(" ", 1)
            if sample == name or sample.startswith(name + "{"):
                total += float(value)
    return total
