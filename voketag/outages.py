"""Which exceptions mean "a dependency is down" (PostgreSQL, Redis), so that callers get UNAVAILABLE.

An outage is not a bug of ours: clients, Envoy's retry policy and voketag_client retry UNAVAILABLE, and
nothing else. Only connection-level failures count; an SQL error or a cancelled statement stays INTERNAL.
"""

import asyncpg
import redis.exceptions

from voketag.errors import Unavailable

# How long a client should wait before trying again: about one health-probe interval, by which time a
# restarted dependency is usually back (docs/operations.md).
RETRY_AFTER_S = 2.0

_DATABASE = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
_REDIS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Causes followed from the raised exception: wrappers rarely nest deeper.
_DEPTH = 5


def _raised_in(exc: BaseException, package: str) -> bool:
    frame = exc.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(package + "."):
            return True
        frame = frame.tb_next
    return False


def _dependency(exc: BaseException) -> str | None:
    # asyncpg raises socket errors bare while it (re)connects: refused, reset, timed out, or a Unix socket
    # file that is gone because the server stopped. An OSError of our own code is a bug, not an outage.
    if isinstance(exc, _DATABASE) or (isinstance(exc, OSError) and _raised_in(exc, "asyncpg")):
        return "database"
    if isinstance(exc, _REDIS):
        return "redis"
    return None


def as_unavailable(exc: BaseException) -> Unavailable | None:
    """UNAVAILABLE with Retry-After when ``exc`` (or what it was raised from) is a dependency outage."""
    seen: BaseException | None = exc
    for _ in range(_DEPTH):
        if seen is None:
            return None
        dependency = _dependency(seen)
        if dependency is not None:
            return Unavailable(
                "DEPENDENCY_UNAVAILABLE",
                f"{dependency} is unavailable; try again later",
                metadata={"dependency": dependency},
                retry_after_s=RETRY_AFTER_S,
            )
        seen = seen.__cause__ or seen.__context__
    return None
