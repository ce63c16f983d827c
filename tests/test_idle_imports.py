"""Idle memory (issue 15): what a process imports at start is what it holds at idle, so libraries used only by
some requests (exports, pages, GS1 parsing, EPCIS hashes, webhook delivery) or only with tracing on are imported
on first use, and heavy libraries the mesh replaced or does not need are imported by no process. Each entry point
is imported in a fresh interpreter, the way devmesh starts it, and its modules are checked; then the lazily
imported paths are exercised to show they still load what they need, and the anchor signs a transaction to show
that its work, not only its start, does without the replaced libraries."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Libraries no process needs before its first request that uses them (bench/idle_memory.py measures the gain).
LAZY = (
    "openpyxl",
    "biip",
    "jinja2",
    "epcis_event_hash_generator",
    "httpx",
    "voketag.tracing_sdk",
    "opentelemetry.exporter",
    "opentelemetry.instrumentation",
)
# Libraries no process imports at all, for what they cost at import (docs/operations.md, "Idle memory per process"):
# web3 and eth-account (with eth-utils, pycryptodome and pycparser) and aiohttp, replaced in the anchor by its own
# JSON-RPC client and transaction signing; the OpenTelemetry metrics SDK and psutil, which redis-py imports from
# 7.2 on; pika and Dramatiq's RabbitMQ broker unless BROKER_URL is amqp://.
NEVER = (
    "web3",
    "eth_account",
    "eth_utils",
    "Crypto",
    "pycparser",
    "aiohttp",
    "opentelemetry.sdk",
    "psutil",
    "pika",
    "dramatiq.brokers.rabbitmq",
)
# Processes that enqueue nothing do not import Dramatiq (its tracing middleware lives in voketag.queue).
NO_BROKER = ("dramatiq",)
ENTRY_POINTS = {
    "scan": (["scan_svc.__main__"], LAZY + NEVER + NO_BROKER),
    "factory": (["factory_svc.__main__"], LAZY + NEVER),
    "admin": (["admin_svc.__main__"], LAZY + NEVER + NO_BROKER),
    "anchor": (["anchor_svc.__main__"], LAZY + NEVER),
    "worker": (["voketag.worker", "factory_svc.tasks", "anchor_svc.tasks"], LAZY + NEVER),
}


def loaded_after(statements: str) -> set[str]:
    """The module names in sys.modules of a fresh interpreter after ``statements``."""
    env = {
        **os.environ,
        # Settings are read when some entry modules are imported; nothing connects while importing.
        "DATABASE_URL": "postgresql://idle@127.0.0.1:1/idle",
        "TOKEN_KEYS": json.dumps({"1": base64.b64encode(bytes(32)).decode()}),
        "TOKEN_SIGNING_KEY_ID": "1",
        "OTLP_TRACES_ENDPOINT": "",
    }
    script = f"{statements}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def holds(modules: set[str], package: str) -> bool:
    return package in modules or any(name.startswith(package + ".") for name in modules)


@pytest.mark.parametrize("process", ENTRY_POINTS)
def test_a_process_at_start_imports_neither_what_only_some_requests_need_nor_what_it_never_needs(
    process: str,
) -> None:
    imports, lazy = ENTRY_POINTS[process]
    modules = loaded_after("\n".join(f"import {name}" for name in imports))
    assert "grpc" in modules or process == "worker"
    assert [package for package in lazy if holds(modules, package)] == []


def test_the_lazy_paths_still_import_their_libraries() -> None:
    modules = loaded_after(
        "from datetime import UTC, datetime\n"
        "from factory_svc import epcis\n"
        "from scan_svc import page\n"
        "from voketag import gs1, xlsx\n"
        "assert gs1.gtin('4006381333931') == '04006381333931'\n"
        "xlsx.SheetWriter('sheet', ['header'])\n"
        "page._template()\n"
        "[event] = epcis.with_ids([epcis.commissioning(datetime.now(UTC), ['urn:voketag:product:1'])])\n"
        "assert event['eventID'].startswith('ni:///sha-256;')\n"
    )
    assert {"biip", "openpyxl", "jinja2", "epcis_event_hash_generator"} <= modules


def test_the_anchor_signs_and_checks_addresses_without_the_libraries_it_replaced() -> None:
    modules = loaded_after(
        "from pydantic import SecretStr\n"
        "from anchor_svc.chain import Chain, Fees\n"
        "from anchor_svc.eth import checksum_address\n"
        "from anchor_svc.settings import ANVIL_DEV_KEY\n"
        "chain = Chain(SecretStr('http://127.0.0.1:1'), 1, SecretStr(ANVIL_DEV_KEY))\n"
        "signed = chain.sign(31337, 0, bytes(32), Fees(2, 1))\n"
        "assert signed.raw[0] == 2 and len(signed.tx_hash) == 66\n"
        "assert checksum_address(chain.sender.lower()) == chain.sender\n"
    )
    assert {"coincurve", "sha3", "h11"} <= modules
    assert [package for package in NEVER if holds(modules, package)] == []
