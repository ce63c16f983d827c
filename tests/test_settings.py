import io
import json
import logging
from contextlib import redirect_stdout

from anchor_svc.settings import AnchorSettings
from voketag.context import request_id
from voketag.logs import setup_logging


def test_secrets_are_masked_in_logged_settings() -> None:
    settings = AnchorSettings(
        database_url="postgresql://app:hunter2@db/voketag",
        redis_url="redis://:s3cret@kv:6379/0",
        eth_rpc_url="https://node.example/key-abc123",
    )
    out = io.StringIO()
    with redirect_stdout(out):
        setup_logging("anchor", "INFO")
        logging.getLogger("t").info("settings", extra={"settings": settings.model_dump(mode="json")})
    line = json.loads(out.getvalue())
    assert line["service"] == "anchor"
    assert line["settings"]["grpc_port"] == 50054
    for secret in ("hunter2", "s3cret", "key-abc123"):
        assert secret not in out.getvalue()
    assert settings.database_url.get_secret_value().endswith("hunter2@db/voketag")


def test_log_lines_carry_the_request_id() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        setup_logging("scan", "INFO")
        token = request_id.set("req-42")
        logging.getLogger("t").info("hello")
        request_id.reset(token)
    assert json.loads(out.getvalue())["request_id"] == "req-42"
