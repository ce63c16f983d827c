"""voketag-ledger-verify with nothing but DATABASE_URL, and while the sealer waits out a sequence gap: it runs,
says how many committed scans it did not check, and fails a --complete check until they are sealed."""

import asyncio
import base64
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from scan_svc.api import ScanApi
from scan_svc.ledger import build
from scan_svc.settings import ScanSettings
from tests.scan.conftest import Catalog
from voketag import migrations
from voketag.scan.v1 import scan_service_pb2 as scan_pb
from voketag.tokens import KeyRing

SEALED, AFTER_GAP = 8, 5


@pytest.fixture
async def ledger_with_gap(fresh_database: str) -> AsyncIterator[tuple[asyncpg.Pool, ScanSettings]]:
    """SEALED scans sealed; then a sequence number lost (its transaction rolled back) and AFTER_GAP more scans,
    which the sealer holds back for the grace period."""
    settings = ScanSettings(
        database_url=fresh_database,
        token_keys={"1": base64.b64encode(os.urandom(32)).decode()},
        grpc_port=0,
        metrics_port=0,
        ledger_gap_grace_s=3600,
    )
    async with asyncpg.create_pool(fresh_database, min_size=1, max_size=3) as pool:
        async with pool.acquire() as conn:
            await migrations.migrate(conn)
        catalog = Catalog(pool, KeyRing.from_config({"1": settings.token_keys["1"].get_secret_value()}, 1))
        product = await catalog.product()

        async def add_scans(count: int) -> None:
            await pool.execute(
                """INSERT INTO scans (product_id, batch_id, factory_id, verdict, risk_score, device_hash, country)
                   SELECT $1, $2, b.factory_id, 'AUTHENTIC', 1, 'dev' || i, 'DE'
                   FROM batches b, generate_series(1, $3) AS i WHERE b.id = $2""",
                product["product_id"],
                product["batch_id"],
                count,
            )

        await add_scans(SEALED)
        assert await build(pool, settings).seal() == SEALED
        await pool.execute("SELECT nextval('scan_ledger_seq')")
        await add_scans(AFTER_GAP)
        assert await build(pool, settings).seal() == 0
        yield pool, settings


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "scan_svc.ledger", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def _env(**values: str) -> dict[str, str]:
    # Only what the test names: the command must not lean on settings of the surrounding shell.
    kept = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")}
    return {**kept, **values}


async def test_database_url_alone_is_enough_and_the_unchecked_scans_are_counted(ledger_with_gap) -> None:
    _, settings = ledger_with_gap
    env = _env(DATABASE_URL=settings.database_url.get_secret_value())
    result = await asyncio.to_thread(_run, env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["entries_checked"] == SEALED
    assert report["unchecked_scans"] == AFTER_GAP
    assert report["signatures_checked"] is False

    complete = await asyncio.to_thread(_run, env, "--complete")
    assert complete.returncode == 2
    assert json.loads(complete.stdout)["unchecked_scans"] == AFTER_GAP


async def test_complete_check_passes_once_everything_is_sealed_and_signed(ledger_with_gap) -> None:
    pool, settings = ledger_with_gap
    token_keys = json.dumps({"1": settings.token_keys["1"].get_secret_value()})
    env = _env(DATABASE_URL=settings.database_url.get_secret_value(), TOKEN_KEYS=token_keys)

    waiting = await asyncio.to_thread(_run, env, "--complete")
    assert waiting.returncode == 2
    report = json.loads(waiting.stdout)
    assert report["signatures_checked"] is True and report["unchecked_scans"] == AFTER_GAP

    # The grace period is over: the gap is sealed as a void entry and the scans behind it follow.
    impatient = settings.model_copy(update={"ledger_gap_grace_s": 0.001})
    assert await build(pool, impatient).seal(force_checkpoint=True) == AFTER_GAP + 1
    done = await asyncio.to_thread(_run, env, "--complete")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["entries_checked"] == SEALED + AFTER_GAP + 1 and report["unchecked_scans"] == 0


async def test_a_broken_ledger_still_exits_1_and_counts_what_follows_the_bad_entry(ledger_with_gap) -> None:
    pool, settings = ledger_with_gap
    await pool.execute("UPDATE scans SET country = 'FR' WHERE ledger_seq = 3")
    result = await asyncio.to_thread(_run, _env(DATABASE_URL=settings.database_url.get_secret_value()))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["first_bad_sequence"] == 3 and report["entries_checked"] == 2
    assert report["unchecked_scans"] == SEALED - 2 + AFTER_GAP


async def test_the_rpc_counts_the_unchecked_scans_as_the_command_does(ledger_with_gap) -> None:
    pool, settings = ledger_with_gap
    api = ScanApi(None, build(pool, settings), None, None)  # type: ignore[arg-type]  # VerifyLedger uses the ledger only
    await pool.execute("UPDATE scans SET country = 'FR' WHERE ledger_seq = 3")
    reply = await api.VerifyLedger(scan_pb.VerifyLedgerRequest(), None)  # type: ignore[arg-type]
    command = json.loads(
        (await asyncio.to_thread(_run, _env(DATABASE_URL=settings.database_url.get_secret_value()))).stdout
    )
    assert (reply.ok, reply.first_bad_sequence, reply.entries_checked) == (False, 3, 2)
    assert reply.unchecked_scans == command["unchecked_scans"] == SEALED - 2 + AFTER_GAP
