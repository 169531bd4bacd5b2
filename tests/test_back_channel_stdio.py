"""`InputRequired` over STDIO: the pipe is the back channel at the handshake revisions."""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, BinaryIO, Final

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp import types as sdk

from tests.fixtures.back_channel_app import build

pytestmark = pytest.mark.anyio

ROOT: Final = Path(__file__).resolve().parent.parent
BOUND_S: Final = 30.0
SERVER: Final = StdioServerParameters(
    command=sys.executable,
    args=["-m", "http_mcp", "run", "tests.fixtures.back_channel_app:server", "--stdio"],
    cwd=str(ROOT),
)


async def elicit_yes(context: Any, params: sdk.ElicitRequestParams) -> sdk.ElicitResult:
    return sdk.ElicitResult(action="accept", content={"ok": True})


async def sample_plan(
    context: Any, params: sdk.CreateMessageRequestParams
) -> sdk.CreateMessageResult:
    return sdk.CreateMessageResult(
        role="assistant", content=sdk.TextContent(type="text", text="a fine plan"), model="m"
    )


@pytest.mark.parametrize(
    ("mode", "version"), [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28")]
)
async def test_the_same_tool_asks_and_receives_over_stdio_at_both_revisions(
    mode: str, version: str
) -> None:
    with anyio.fail_after(BOUND_S):
        async with Client(
            SERVER,
            mode=mode,
            elicitation_callback=elicit_yes,
            sampling_callback=sample_plan,
        ) as client:
            assert client.protocol_version == version
            result = await client.call_tool("confirm_and_summarise", {})
            prompt = await client.get_prompt("briefing", {"topic": "tides"})
    assert not result.is_error
    assert "model said: a fine plan" in result.content[0].text  # type: ignore[union-attr]
    assert prompt.messages[0].content.text == "a fine plan"  # type: ignore[union-attr]


async def test_over_stdio_a_capability_not_declared_at_initialize_is_an_error_result() -> None:
    with anyio.fail_after(BOUND_S):
        async with Client(SERVER, mode="legacy", sampling_callback=sample_plan) as client:
            result = await client.call_tool("confirm_and_summarise", {})
    assert result.is_error
    assert "elicitation" in result.content[0].text  # type: ignore[union-attr]


async def test_unknown_answers_on_stdin_are_dropped_and_a_call_left_unanswered_at_input_end_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = build()
    lines = [
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {"elicitation": {}},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "id": "srv-999", "result": {"action": "accept"}},
        {"jsonrpc": "2.0", "id": 5, "error": {"code": -1, "message": "stray"}},
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "confirm_and_summarise", "arguments": {}},
        },
    ]
    stdin = io.BytesIO(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    stdout = io.BytesIO()
    with caplog.at_level(logging.WARNING, "http_mcp"), anyio.fail_after(BOUND_S):
        await server.serve_stdio(stdin=stdin, stdout=stdout)
    frames = [json.loads(line) for line in stdout.getvalue().splitlines()]
    by_id = {frame.get("id"): frame for frame in frames}
    assert by_id[1]["result"]["isError"] is True
    assert "closed its input" in by_id[1]["result"]["content"][0]["text"]
    assert "'srv-999'" in caplog.text
    assert "response to 5" in caplog.text
    assert {0, 1} <= set(by_id)  # and perhaps the question, if asked before the input ended


def frame(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


INITIALIZE: Final = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {"elicitation": {}, "sampling": {}},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
CALL: Final = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "confirm_and_summarise", "arguments": {}},
}


class Pipes:
    """`serve_stdio` on two pipes: the test writes its stdin and reads its stdout."""

    def __init__(self, stdin_writer: int, stdout_reader: BinaryIO) -> None:
        self._writer = stdin_writer
        self._reader = stdout_reader

    def send(self, message: dict[str, Any]) -> None:
        os.write(self._writer, frame(message))

    def close(self) -> None:
        os.close(self._writer)

    async def receive(self) -> dict[str, Any]:
        line = await anyio.to_thread.run_sync(self._reader.readline, abandon_on_cancel=True)
        message: dict[str, Any] = json.loads(line)
        return message


@asynccontextmanager
async def serving_pipes() -> AsyncIterator[Pipes]:
    read_in, write_in = os.pipe()
    read_out, write_out = os.pipe()
    with (
        os.fdopen(read_in, "rb") as stdin,
        os.fdopen(write_out, "wb") as stdout,
        os.fdopen(read_out, "rb") as out,
        anyio.fail_after(BOUND_S),
    ):
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(build().serve_stdio, stdin=stdin, stdout=stdout))
            yield Pipes(write_in, out)


async def test_over_a_pipe_the_answers_on_stdin_reach_the_waiting_call() -> None:
    async with serving_pipes() as pipes:
        pipes.send(INITIALIZE)
        assert (await pipes.receive())["id"] == 0
        pipes.send(CALL)
        asked = await pipes.receive()
        assert asked["method"] == "elicitation/create"
        pipes.send(
            {
                "jsonrpc": "2.0",
                "id": asked["id"],
                "result": {"action": "accept", "content": {"ok": True}},
            }
        )
        sampled = await pipes.receive()
        assert sampled["method"] == "sampling/createMessage"
        pipes.send(
            {"jsonrpc": "2.0", "id": sampled["id"], "error": {"code": -1, "message": "no model"}}
        )
        result = await pipes.receive()
        pipes.close()
    assert result["id"] == 1
    assert result["result"]["isError"] is True
    assert "no model" in result["result"]["content"][0]["text"]


async def test_a_call_waiting_for_an_answer_when_stdin_ends_fails_at_once() -> None:
    async with serving_pipes() as pipes:
        pipes.send(INITIALIZE)
        await pipes.receive()
        pipes.send(CALL)
        assert (await pipes.receive())["method"] == "elicitation/create"
        pipes.close()
        result = await pipes.receive()
    assert "closed its input" in result["result"]["content"][0]["text"]
