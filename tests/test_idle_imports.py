"""Idle memory (issue 15): what a process imports at start is what it holds at idle, so libraries used only by
some requests (exports, pages, GS1 parsing, EPCIS hashes, webhook delivery) or only with tracing on are imported
on first use. Each entry point is imported in a fresh interpreter, the way devmesh starts it, and its modules
are checked; then the lazily imported paths are exercised to show they still load what they need."""

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
# web3 stays in the anchor service: its anchoring loop talks to the chain from the start.
NOT_ANCHOR = ("web3", "eth_account")
ENTRY_POINTS = {
    "scan": (["scan_svc.__main__"], LAZY + NOT_ANCHOR),
    "factory": (["factory_svc.__main__"], LAZY + NOT_ANCHOR),
    "admin": (["admin_svc.__main__"], LAZY + NOT_ANCHOR),
    "anchor": (["anchor_svc.__main__"], LAZY),
    "worker": (["voketag.worker", "factory_svc.tasks", "anchor_svc.tasks"], LAZY + NOT_ANCHOR),
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
def test_a_process_at_start_does_not_import_what_only_some_requests_need(process: str) -> None:
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
