"""Two server processes sharing the request-state key behave as one: a retry may reach either."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from tests.conftest import modern_request

ROOT: Final = Path(__file__).resolve().parent.parent
TOOL: Final = "test_input_required_result_request_state"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server process exited"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)  # polling a socket that is not listening yet
    raise AssertionError(f"{url} did not start serving within 30 seconds")


@pytest.fixture
def replicas() -> Iterator[list[str]]:
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(2):
            port = free_port()
            command = [sys.executable, "-m", "http_mcp", "run", "conformance.fixtures:app"]
            command += ["--port", str(port), "--log-level", "warning"]
            processes.append(subprocess.Popen(command, cwd=ROOT))
            urls.append(f"http://127.0.0.1:{port}/mcp")
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


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
