"""Helpers shared by the tests: reading results and logs.

Fixtures live in `conftest.py`; plain helpers that several test modules use live here, once
(server processes in `cli_support`, Redis in `redis_support`, tokens in `auth_support`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest


def only_text(result: Mapping[str, Any]) -> str:
    """The text of a result whose content is one text block."""
    content = result["content"]
    assert len(content) == 1
    assert content[0]["type"] == "text"
    text: str = content[0]["text"]
    return text


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records http-mcp logged at ERROR or above."""
    return [r for r in caplog.records if r.name == "http_mcp" and r.levelno >= logging.ERROR]
