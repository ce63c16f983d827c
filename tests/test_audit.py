"""The shared audit chain: appends in the change's transaction, and names the first tampered entry."""

import asyncpg
import pytest

from voketag import audit
from voketag.auth import Principal, Role, acting_as
from voketag.context import client_address, request_id
from voketag.migrations import migrate


@pytest.fixture
async def conn(fresh_database: str):
    connection = await asyncpg.connect(fresh_database)
    await migrate(connection)
    yield connection
    await connection.close()


async def append(conn: asyncpg.Connection, n: int) -> None:
    admin = Principal(subject="admin-1", role=Role.ADMIN, factory_id=None, token_id="t")
    with acting_as(admin):
        token = request_id.set("req-1")
        for i in range(n):
            async with conn.transaction():
                await audit.record(
                    conn, "batch", f"b{i}", {"quantity": i}, action="/voketag.factory.v1.FactoryService/CreateBatch"
                )
        request_id.reset(token)


async def tamper(conn: asyncpg.Connection, sql: str) -> None:
    """Change the log as an attacker with database access would: around the append-only trigger."""
    async with conn.transaction():
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        await conn.execute(sql)
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")


async def test_honest_chain_verifies(conn: asyncpg.Connection) -> None:
    await append(conn, 5)
    report = await audit.verify(conn)
    assert (report.ok, report.entries_checked) == (True, 5)
    row = await conn.fetchrow("SELECT actor, actor_role, request_id, object_id FROM audit_log WHERE seq = 1")
    assert dict(row) == {"actor": "admin-1", "actor_role": "admin", "request_id": "req-1", "object_id": "b0"}


async def test_record_outside_a_transaction_is_refused(conn: asyncpg.Connection) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        await audit.record(conn, "batch", "b1")


async def test_rolled_back_change_leaves_no_entry(conn: asyncpg.Connection) -> None:
    with pytest.raises(ZeroDivisionError):
        async with conn.transaction():
            await audit.record(conn, "batch", "b1")
            raise ZeroDivisionError
    assert await conn.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_update_and_delete_are_refused_by_the_database(conn: asyncpg.Connection) -> None:
    await append(conn, 1)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await conn.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await conn.execute("DELETE FROM audit_log")


@pytest.mark.parametrize(
    ("sql", "bad_seq", "problem"),
    [
        ("UPDATE audit_log SET object_id = 'b99' WHERE seq = 3", 3, "edited"),
        ("DELETE FROM audit_log WHERE seq = 3", 4, "deleted or reordered"),
        (
            """UPDATE audit_log a SET at = b.at, object_id = b.object_id, details = b.details,
                      prev_hash = b.prev_hash, hash = b.hash FROM audit_log b
               WHERE (a.seq, b.seq) IN ((2, 4), (4, 2))""",
            2,
            "deleted or reordered",
        ),
    ],
    ids=["update", "delete", "reorder"],
)
async def test_tampering_is_named(conn: asyncpg.Connection, sql: str, bad_seq: int, problem: str) -> None:
    await append(conn, 6)
    await tamper(conn, sql)
    report = await audit.verify(conn)
    assert not report.ok
    assert report.first_bad_seq == bad_seq
    assert problem in report.problem


async def test_anonymous_callers_address_is_not_stored(conn: asyncpg.Connection) -> None:
    token = client_address.set("203.0.113.9")
    try:
        async with conn.transaction():
            await audit.record(conn, "fraud_report", "r1")
        admin = Principal(subject="admin-1", role=Role.ADMIN, factory_id=None, token_id="t")
        with acting_as(admin):
            async with conn.transaction():
                await audit.record(conn, "factory", "f1")
    finally:
        client_address.reset(token)
    rows = await conn.fetch("SELECT actor, source FROM audit_log ORDER BY seq")
    assert [tuple(row) for row in rows] == [("anonymous", ""), ("admin-1", "203.0.113.9")]
