"""Two server processes sharing the request-state key behave as one: a retry may reach either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from tests.cli_support import serving
from tests.conftest import modern_request

ROOT: Final = Path(__file__).resolve().parent.parent
TOOL: Final = "test_input_required_result_request_state"


@pytest.fixture
def replicas() -> Iterator[list[str]]:
    with (
        serving("conformance.fixtures:app") as first,
        serving("conformance.fixtures:app") as second,
    ):
        yield [f"{first.base}/mcp", f"{second.base}/mcp"]


def call(url: str, request_id: int, **extra: Any) -> httpx.Response:
    body, headers = modern_request("tools/call", {"name": TOOL, "arguments": {}}, request_id)
    body["params"].update(extra)
    body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = {"elicitation": {}}
    return httpx.post(url, json=body, headers={"accept": "application/json", **headers})


def test_a_retry_carrying_request_state_is_served_by_another_process(
    replicas: list[str],
) -> None:
    first, second = replicas
    round_one = call(first, 1).json()["result"]
    assert round_one["resultType"] == "input_required"
    state = round_one["requestState"]
    answers = {"confirm": {"action": "accept", "content": {"ok": True}}}
    done = call(second, 2, inputResponses=answers, requestState=state).json()["result"]
    assert done["resultType"] == "complete"
    assert done["content"][0]["text"].startswith("state-ok")


def test_an_altered_request_state_is_refused_by_every_process(replicas: list[str]) -> None:
    state = call(replicas[0], 1).json()["result"]["requestState"]
    answers = {"confirm": {"action": "accept", "content": {"ok": True}}}
    for url in replicas:
        refused = call(url, 3, inputResponses=answers, requestState=state + "x")
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == -32602
