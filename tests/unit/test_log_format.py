"""The log lines' shape: one JSON object each, the message as text."""

from __future__ import annotations

from config_api.observability.log import logger
from tests.support.logs import captured_logs


def test_a_message_is_text_even_when_it_reads_as_json() -> None:
    with captured_logs() as logs:
        logger.info('{"status": 500}', extra={"route": "/x"})
        logger.info("request")
    first, second = logs.records()
    assert first["message"] == '{"status": 500}' and first["route"] == "/x"
    assert "status" not in first
    assert second["message"] == "request"
