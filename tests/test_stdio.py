"""The STDIO transport: in-process through `serve_stdio`, and the real `http-mcp run --stdio`."""

from __future__ import annotations

import errno
import functools
import io
import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from http_mcp import MCPServer
from http_mcp.transports._stdin import _PipeLines
from http_mcp.types import Tool
from tests.conftest import EVENT_LOOPS, LEGACY, MODERN, legacy_request, modern_request
from tests.fixtures.stdio_server import (
    GREETING,
    RELEASED,
    SECRET,
    SHUTDOWN,
    EchoInput,
    echo,
    server,
)
from tests.support import only_text

if sys.platform != "win32":
    import termios

pytestmark = pytest.mark.anyio


@pytest.fixture(params=EVENT_LOOPS)
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    return request.param


# Tests whose server runs in a child process (on its own asyncio loop) run once.
IN_A_CHILD_PROCESS = pytest.mark.parametrize("anyio_backend", ["asyncio"])


ROOT: Final = Path(__file__).resolve().parent.parent
APP: Final = "tests.fixtures.stdio_server:app"
SERVER: Final = "tests.fixtures.stdio_server:server"
TIMEOUT: Final = 10.0
DEFAULT_LIMIT: Final = 4 * 1024 * 1024  # MCPServer's default max_message_size


def command(*options: str, target: str = APP) -> list[str]:
    return [sys.executable, "-m", "http_mcp", "run", target, "--stdio", *options]


def call(name: str, arguments: Mapping[str, Any] | None = None, request_id: int | str = 1) -> Any:
    params: dict[str, Any] = {"name": name}
    if arguments is not None:
        params["arguments"] = dict(arguments)
    return legacy_request("tools/call", params, request_id)


def modern_call(name: str, arguments: Mapping[str, Any], request_id: int | str) -> Any:
    return modern_request("tools/call", {"name": name, "arguments": dict(arguments)}, request_id)[0]


def initialize(request_id: int | str = 1) -> Any:
    params = {
        "protocolVersion": LEGACY,
        "capabilities": {},
        "clientInfo": {"name": "tests", "version": "1"},
    }
    return legacy_request("initialize", params, request_id)


def cancel(request_id: int | str) -> Any:
    params = {"requestId": request_id, "reason": "not needed any more"}
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params}


def frame(message: Any) -> bytes:
    return json.dumps(message).encode() + b"\n"


def parse_lines(output: bytes) -> list[dict[str, Any]]:
    """Every line of `output` is one JSON object (no stray text in between)."""
    return [json.loads(line) for line in output.splitlines()]


def by_id(responses: Iterable[Mapping[str, Any]]) -> dict[Any, Mapping[str, Any]]:
    answered: dict[Any, Mapping[str, Any]] = {}
    for response in responses:
        assert response["id"] not in answered, f"two responses for id {response['id']!r}"
        answered[response["id"]] = response
    return answered


def error_code(response: Mapping[str, Any]) -> int:
    code: int = response["error"]["code"]
    return code


async def serve_bytes(
    data: bytes,
    target: MCPServer = server,
    scopes: Iterable[str] = (),
    state: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    stdout = io.BytesIO()
    with anyio.fail_after(TIMEOUT):
        await target.serve_stdio(scopes=scopes, state=state, stdin=io.BytesIO(data), stdout=stdout)
    return parse_lines(stdout.getvalue())


class Peer:
    """The test's side of the pipes to a running `http-mcp run --stdio`."""

    def __init__(self, process: Process) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        self.process = process
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)
        self._stderr = process.stderr

    async def send(self, *messages: Any) -> None:
        for message in messages:
            await self._stdin.send(message if isinstance(message, bytes) else frame(message))

    async def receive(self) -> dict[str, Any]:
        with anyio.fail_after(TIMEOUT):
            line = await self._stdout.receive_until(b"\n", 16 * 1024 * 1024)
        response: dict[str, Any] = json.loads(line)
        return response

    async def close_input(self) -> None:
        """Close the server's stdin: its end of input."""
        await self._stdin.aclose()

    async def finish(self) -> tuple[int, list[dict[str, Any]], str]:
        """Close stdin; the exit code, the remaining responses and everything on stderr."""
        await self._stdin.aclose()
        with anyio.fail_after(TIMEOUT):
            rest = await _read_all(self._stdout)
            code = await self.process.wait()
            errors = await _read_all(self._stderr)
        return code, parse_lines(rest), errors.decode(errors="replace")


async def _read_all(stream: Any) -> bytes:
    chunks = []
    try:
        while True:
            chunks.append(await stream.receive())
    except (anyio.EndOfStream, anyio.ClosedResourceError):
        return b"".join(chunks)


@asynccontextmanager
async def running(*options: str, target: str = APP) -> AsyncIterator[Peer]:
    process = await anyio.open_process(command(*options, target=target), cwd=ROOT)
    try:
        yield Peer(process)
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
                with anyio.move_on_after(TIMEOUT):
                    await process.wait()
            if process.returncode is None:
                process.kill()
            await process.aclose()


async def run_with_files(
    tmp_path: Path, data: bytes, *options: str, target: str = APP
) -> tuple[int, bytes, str]:
    """`http-mcp run TARGET --stdio < requests.jsonl > out.jsonl`."""
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(data)
    out = tmp_path / "out.jsonl"
    with requests.open("rb") as stdin, out.open("wb") as stdout, anyio.fail_after(TIMEOUT):
        completed = await anyio.run_process(
            command(*options, target=target), stdin=stdin, stdout=stdout, check=False, cwd=ROOT
        )
    return completed.returncode, out.read_bytes(), completed.stderr.decode(errors="replace")


# -- in process: serve_stdio on byte streams --------------------------------------------------


async def test_serve_stdio_answers_each_request_with_its_id_in_both_eras() -> None:
    data = b"".join(
        frame(message)
        for message in (
            initialize(request_id="init"),
            call("echo", {"text": "legacy"}, request_id=2),
            modern_call("echo", {"text": "modern"}, request_id=3),
        )
    )
    answered = by_id(await serve_bytes(data))
    assert set(answered) == {"init", 2, 3}
    assert answered["init"]["result"]["protocolVersion"] == LEGACY
    assert answered["init"]["result"]["serverInfo"] == {"name": "stdio-fixture", "version": "0.0.1"}
    assert answered[2]["result"] == {"content": [{"type": "text", "text": "legacy"}]}
    assert answered[3]["result"]["content"] == [{"type": "text", "text": "modern"}]
    assert answered[3]["result"]["resultType"] == "complete"
    assert "resultType" not in answered[2]["result"]


async def test_blank_lines_are_ignored() -> None:
    data = b"\n   \n\t\r\n" + frame(call("echo", {"text": "hi"}, request_id=7)) + b"\n\n"
    assert await serve_bytes(data) == [
        {"jsonrpc": "2.0", "id": 7, "result": {"content": [{"type": "text", "text": "hi"}]}}
    ]


async def test_invalid_utf8_inside_a_string_is_replaced_and_the_request_answered() -> None:
    data = frame(call("echo", {"text": "@"}, request_id=1)).replace(b"@", b"caf\xc3\xa9 \xff\xfe!")
    [response] = await serve_bytes(data)
    assert response["id"] == 1
    assert only_text(response["result"]) == "café \ufffd\ufffd!"


async def test_garbage_line_is_a_parse_error_and_serving_continues() -> None:
    data = b"this is not json\n" + frame(call("echo", {"text": "after"}, request_id=2))
    responses = await serve_bytes(data)
    answered = by_id(responses)
    assert error_code(answered[None]) == -32700
    assert only_text(answered[2]["result"]) == "after"


def echo_server(max_message_size: int) -> MCPServer:
    return MCPServer(
        name="small",
        version="1",
        tools=(Tool(func=echo, inputs=EchoInput),),
        max_message_size=max_message_size,
    )


async def test_line_over_the_limit_is_refused_and_later_lines_are_answered() -> None:
    limit = 300
    small = echo_server(max_message_size=limit)
    template = frame(call("echo", {"text": "@"}, request_id=1))
    at_limit = template.replace(b"@", b"a" * (limit + 2 - len(template)))
    over_limit = template.replace(b"@", b"b" * (limit + 3 - len(template)))
    assert len(at_limit) == limit + 1  # the newline is not counted
    assert len(over_limit) == limit + 2
    later = frame(call("echo", {"text": "later"}, request_id=3))
    unterminated_tail = b"x" * (limit * 3)
    responses = await serve_bytes(over_limit + at_limit + later + unterminated_tail, small)
    answered = by_id(r for r in responses if "result" in r)
    assert only_text(answered[1]["result"]) == "a" * (limit + 2 - len(template))
    assert only_text(answered[3]["result"]) == "later"
    refused = [r for r in responses if "error" in r]
    assert len(refused) == 2  # the long line, and the long tail with no newline
    assert all(r["id"] is None and error_code(r) == -32600 for r in refused)
    assert len(responses) == 4


@pytest.mark.parametrize(
    ("scopes", "visible"),
    [
        pytest.param((), False, id="no-scopes"),
        pytest.param(("mcp:read",), True, id="mcp-read"),
    ],
)
async def test_scopes_given_to_serve_stdio_decide_what_is_visible(
    scopes: tuple[str, ...], visible: bool
) -> None:
    data = frame(legacy_request("tools/list", {}, 1)) + frame(call("secret", {}, request_id=2))
    answered = by_id(await serve_bytes(data, scopes=scopes))
    names = [tool["name"] for tool in answered[1]["result"]["tools"]]
    assert ("secret" in names) is visible
    if visible:
        assert only_text(answered[2]["result"]) == SECRET
    else:
        assert error_code(answered[2]) == -32602


async def test_state_given_to_serve_stdio_reaches_tools() -> None:
    data = frame(call("greeting", {}, request_id=1))
    [response] = await serve_bytes(data, state={"greeting": "from the caller"})
    assert only_text(response["result"]) == "from the caller"


def _modern_with_version(version: str) -> tuple[Any, dict[str, str]]:
    body, headers = modern_request("tools/list", {}, 14)
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = version
    return body, {**headers, "mcp-protocol-version": version}


def _modern_without_capabilities() -> tuple[Any, dict[str, str]]:
    body, headers = modern_request("tools/list", {}, 15)
    del body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"]
    return body, headers


PROTOCOL_ERRORS = [
    pytest.param(b"{not json", {}, -32700, None, id="parse-error"),
    pytest.param([legacy_request("ping", None, 10)], {}, -32600, None, id="batch"),
    pytest.param({"jsonrpc": "1.0", "id": 11, "method": "ping"}, {}, -32600, 11, id="jsonrpc"),
    pytest.param({"jsonrpc": "2.0", "id": True, "method": "ping"}, {}, -32600, None, id="bool-id"),
    pytest.param(legacy_request("no/such/method", {}, 12), {}, -32601, 12, id="unknown-method"),
    pytest.param(
        {"jsonrpc": "2.0", "id": "p", "method": "ping", "params": [1]}, {}, -32602, "p", id="params"
    ),
    pytest.param(*_modern_with_version("2099-01-01"), -32022, 14, id="unsupported-version"),
    pytest.param(*_modern_without_capabilities(), -32602, 15, id="no-capabilities"),
    pytest.param(call("no_such_tool", {}, request_id=16), {}, -32602, 16, id="unknown-tool"),
    pytest.param(call("secret", {}, request_id=17), {}, -32602, 17, id="hidden-tool"),
]


@pytest.mark.parametrize(("body", "headers", "code", "request_id"), PROTOCOL_ERRORS)
async def test_protocol_errors_carry_the_same_code_and_id_as_over_http(
    wire_of: Any, body: Any, headers: dict[str, str], code: int, request_id: int | str | None
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    [over_stdio] = await serve_bytes(raw + b"\n")
    over_http = (await wire_of(server).post(raw, headers)).json()
    assert error_code(over_stdio) == error_code(over_http) == code
    assert over_stdio["id"] == over_http["id"] == request_id


def gated_server() -> MCPServer:
    """`pass_gate` waits until `open_gate` is called; `hang` never returns."""
    gate = anyio.Event()

    async def pass_gate() -> str:
        await gate.wait()
        return "passed"

    async def open_gate() -> str:
        gate.set()
        return "opened"

    async def hang() -> str:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    return MCPServer(
        name="gated",
        version="1",
        tools=(Tool(func=pass_gate), Tool(func=open_gate), Tool(func=hang)),
    )


async def test_serve_stdio_answers_requests_concurrently() -> None:
    # Handled one at a time, the first request would wait forever for the second.
    data = frame(call("pass_gate", {}, request_id=1)) + frame(call("open_gate", {}, request_id=2))
    answered = by_id(await serve_bytes(data, gated_server()))
    assert only_text(answered[1]["result"]) == "passed"
    assert only_text(answered[2]["result"]) == "opened"


async def test_serve_stdio_cancels_the_request_named_by_notifications_cancelled() -> None:
    data = b"".join(
        [
            frame(call("hang", {}, request_id="forever")),
            frame(cancel("forever")),
            frame(call("open_gate", {}, request_id=2)),
        ]
    )
    # Without the cancellation, end of input would wait for `hang` until the timeout.
    [response] = await serve_bytes(data, gated_server())
    assert response["id"] == 2
    assert only_text(response["result"]) == "opened"


class HangsUp(io.BytesIO):
    """Input that fails like a terminal that hung up, once its lines are read."""

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        if not line:
            raise OSError(errno.EIO, "Input/output error")
        return line


async def test_read_error_on_stdin_ends_serving_like_end_of_input() -> None:
    stdout = io.BytesIO()
    stdin = HangsUp(frame(call("echo", {"text": "before"}, request_id=1)))
    with anyio.fail_after(TIMEOUT):
        await server.serve_stdio(stdin=stdin, stdout=stdout)
    [response] = parse_lines(stdout.getvalue())
    assert only_text(response["result"]) == "before"


async def test_serve_stdio_can_be_cancelled_while_its_stdin_stays_open() -> None:
    read_in, write_in = os.pipe()
    read_out, write_out = os.pipe()
    with (
        os.fdopen(read_in, "rb") as stdin,
        os.fdopen(write_out, "wb") as stdout,
        os.fdopen(read_out, "rb") as out,
    ):
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(server.serve_stdio, stdin=stdin, stdout=stdout))
            os.write(write_in, frame(call("echo", {"text": "hi"}, request_id=1)))
            with anyio.fail_after(TIMEOUT):
                line = await anyio.to_thread.run_sync(out.readline, abandon_on_cancel=True)
            group.cancel_scope.cancel()
        # Still blocked on the open pipe, the reading thread ends with the input.
        os.close(write_in)
        for reader in [t for t in threading.enumerate() if t.name == "http-mcp stdin"]:
            reader.join(TIMEOUT)
            assert not reader.is_alive()
    assert only_text(json.loads(line)["result"]) == "hi"


async def test_cancellation_of_an_unknown_request_is_ignored() -> None:
    data = frame(cancel(99)) + frame(call("echo", {"text": "still here"}, request_id=1))
    [response] = await serve_bytes(data)
    assert only_text(response["result"]) == "still here"


async def serve_pipe(data: bytes, target: MCPServer = server, piece: int = 64) -> list[Any]:
    """Like `serve_bytes`, but stdin is a pipe (read by the event loop), fed `piece` bytes at
    a time by another thread."""
    read_in, write_in = os.pipe()

    def feed() -> None:
        with os.fdopen(write_in, "wb", buffering=0) as pipe:
            for start in range(0, len(data), piece):
                pipe.write(data[start : start + piece])

    feeder = threading.Thread(target=feed)
    feeder.start()
    stdout = io.BytesIO()
    try:
        with os.fdopen(read_in, "rb") as stdin, anyio.fail_after(TIMEOUT):
            await target.serve_stdio(stdin=stdin, stdout=stdout)
    finally:
        feeder.join(TIMEOUT)
    return parse_lines(stdout.getvalue())


async def test_pipe_lines_are_split_and_limited_whatever_the_pieces_they_arrive_in() -> None:
    lines = _PipeLines(limit=5)
    for data in [b"ab", b"c\n12345", b"6789\nxy", b"z\n", b"1234567", b"89\n", b"12345\n", b"ta"]:
        lines.data_received(data)
    lines.eof_received()
    assert [line async for line in lines] == [
        (b"abc\n", False),
        (b"", True),  # 123456789: over the limit, a line ending in the piece that ends it
        (b"xyz\n", False),
        (b"", True),  # 1234567...: over the limit before its end has arrived
        (b"12345\n", False),  # exactly the limit; the newline is not counted
        (b"ta", False),  # the last line needs no newline
    ]


async def test_a_read_error_on_a_pipe_ends_its_lines(caplog: pytest.LogCaptureFixture) -> None:
    lines = _PipeLines(limit=100)
    lines.data_received(b"one\ntw")
    lines.connection_lost(OSError(errno.EIO, "Input/output error"))
    assert [line async for line in lines] == [(b"one\n", False)]
    assert "cannot read stdin any more" in caplog.text


@pytest.mark.parametrize("piece", [1, 7, 4096])
async def test_a_pipe_is_served_like_a_file(piece: int) -> None:
    limit = 300
    small = echo_server(max_message_size=limit)
    over_limit = frame(call("echo", {"text": "b" * limit}, request_id=1))
    data = over_limit + b"\n" + frame(call("echo", {"text": "after"}, request_id=2)) + b"x" * 400
    via_pipe = await serve_pipe(data, small, piece)
    via_file = await serve_bytes(data, small)
    # Answers are written as they are ready, so only their order may differ.
    assert sorted(map(json.dumps, via_pipe)) == sorted(map(json.dumps, via_file))
    assert sorted(str(r["id"]) for r in via_pipe) == ["2", "None", "None"]


async def test_a_burst_of_requests_on_a_pipe_is_answered_in_full() -> None:
    # Far more lines arrive at once than are read ahead: reading pauses, then resumes.
    count = 200
    data = b"".join(frame(call("echo", {"text": str(n)}, request_id=n)) for n in range(count))
    answered = by_id(await serve_pipe(data, piece=len(data)))
    assert sorted(answered) == list(range(count))
    assert all(only_text(answered[n]["result"]) == str(n) for n in range(count))


async def test_serving_a_pipe_can_be_cancelled_with_requests_in_flight() -> None:
    read_in, write_in = os.pipe()
    started, stopped = anyio.Event(), anyio.Event()

    async def hang() -> str:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            stopped.set()
        raise AssertionError("unreachable")

    hanging = MCPServer(name="hanging", version="1", tools=(Tool(func=hang),))
    stdout = io.BytesIO()
    with os.fdopen(read_in, "rb") as stdin, os.fdopen(write_in, "wb", buffering=0) as feed:
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(hanging.serve_stdio, stdin=stdin, stdout=stdout))
            feed.write(frame(call("hang", {}, request_id=1)))
            with anyio.fail_after(TIMEOUT):
                await started.wait()
            group.cancel_scope.cancel()
        # serve_stdio returned only once the request in flight had stopped.
        assert stopped.is_set()
    assert stdout.getvalue() == b""


async def test_cancelling_a_request_twice_is_the_same_as_once() -> None:
    data = b"".join(
        [
            frame(call("hang", {}, request_id=7)),
            frame(cancel(7)),
            frame(cancel(7)),
            frame(call("open_gate", {}, request_id=2)),
        ]
    )
    [response] = await serve_pipe(data, gated_server(), piece=len(data))
    assert response["id"] == 2


class BrokenStdout(io.BytesIO):
    def write(self, data: Any) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


async def test_an_answer_that_cannot_be_written_is_logged_and_serving_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = frame(call("echo", {"text": "a"}, request_id=1)) + frame(cancel(99))
    with anyio.fail_after(TIMEOUT):
        await server.serve_stdio(stdin=io.BytesIO(data), stdout=BrokenStdout())
    assert "a request could not be answered" in caplog.text
    assert "Broken pipe" in caplog.text


# -- the real process: http-mcp run --stdio ---------------------------------------------------


@IN_A_CHILD_PROCESS
async def test_process_answers_both_eras_over_pipes_with_the_lifespan_state() -> None:
    async with running() as peer:
        await peer.send(
            initialize(request_id=1),
            call("greeting", {}, request_id=2),
            modern_call("greeting", {}, request_id=3),
            modern_request("tools/list", {}, 4)[0],
            legacy_request("prompts/get", {"name": "greet", "arguments": {"name": "Ada"}}, 5),
        )
        code, responses, errors = await peer.finish()
    assert code == 0
    assert SHUTDOWN in errors
    answered = by_id(responses)
    assert set(answered) == {1, 2, 3, 4, 5}
    assert answered[1]["result"]["protocolVersion"] == LEGACY
    assert answered[2]["result"] == {"content": [{"type": "text", "text": GREETING}]}
    assert only_text(answered[3]["result"]) == GREETING
    assert answered[3]["result"]["resultType"] == "complete"
    listed = answered[4]["result"]
    assert [tool["name"] for tool in listed["tools"]] == [
        "echo",
        "wait",
        "noisy",
        "greeting",
        "whoami",
    ]
    assert listed["resultType"] == "complete"
    assert listed["cacheScope"] == "private"
    assert answered[5]["result"]["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Say hello to Ada."}}
    ]


@IN_A_CHILD_PROCESS
async def test_process_serving_a_server_target_has_no_lifespan_state() -> None:
    async with running(target=SERVER) as peer:
        await peer.send(call("greeting", {}, request_id=1), call("echo", {"text": "ok"}, 2))
        code, responses, errors = await peer.finish()
    assert code == 0
    answered = by_id(responses)
    assert answered[1]["result"]["isError"] is True
    assert only_text(answered[2]["result"]) == "ok"
    assert "the lifespan state has no key 'greeting'" in errors


def waiting(request_id: int | str, era: str = LEGACY) -> Any:
    """A call of the fixture's `wait` tool asking for progress, which says it is waiting."""
    meta = {"progressToken": f"wait-{request_id}"}
    if era == LEGACY:
        return legacy_request("tools/call", {"name": "wait", "_meta": meta}, request_id)
    body = modern_call("wait", {}, request_id)
    body["params"]["_meta"].update(meta)
    return body


async def wait_is_waiting(peer: Peer) -> None:
    """Read the `wait` tool's progress notification: it is now ready for SIGUSR1."""
    notification = await peer.receive()
    assert notification["method"] == "notifications/progress"


@IN_A_CHILD_PROCESS
async def test_fast_request_is_answered_while_a_slow_one_waits() -> None:
    async with running() as peer:
        await peer.send(waiting(1))
        await wait_is_waiting(peer)
        await peer.send(modern_call("echo", {"text": "fast"}, request_id=2))
        first = await peer.receive()
        peer.process.send_signal(signal.SIGUSR1)
        second = await peer.receive()
        code, rest, _ = await peer.finish()
    assert first["id"] == 2
    assert only_text(first["result"]) == "fast"
    assert second["id"] == 1
    assert only_text(second["result"]) == RELEASED
    assert (code, rest) == (0, [])


@IN_A_CHILD_PROCESS
async def test_cancelled_request_is_never_answered_and_the_process_exits_cleanly() -> None:
    async with running() as peer:
        await peer.send(call("wait", {}, request_id=1), cancel(1))
        await peer.send(call("echo", {"text": "fast"}, request_id=2))
        answer = await peer.receive()
        # If the cancellation were lost, the waiting tool would hold the exit past the timeout.
        code, rest, _ = await peer.finish()
    assert answer["id"] == 2
    assert only_text(answer["result"]) == "fast"
    assert (code, rest) == (0, [])


@IN_A_CHILD_PROCESS
async def test_end_of_input_lets_the_request_in_flight_finish() -> None:
    async with running() as peer:
        await peer.send(waiting("slow", MODERN))
        await wait_is_waiting(peer)
        await peer.close_input()
        peer.process.send_signal(signal.SIGUSR1)
        code, responses, _ = await peer.finish()
    assert code == 0
    [response] = responses
    assert response["id"] == "slow"
    assert only_text(response["result"]) == RELEASED


@IN_A_CHILD_PROCESS
async def test_stray_output_goes_to_stderr_and_stdout_carries_only_frames() -> None:
    async with running() as peer:
        await peer.send(call("noisy", {}, request_id=1), call("echo", {"text": "after"}, 2))
        code, responses, errors = await peer.finish()
    assert code == 0
    answered = by_id(responses)  # parse_lines: each stdout line is a JSON object
    assert only_text(answered[1]["result"]) == "quiet"
    assert only_text(answered[2]["result"]) == "after"
    assert "stray print from a tool" in errors
    assert "stray bytes on fd 1" in errors


@IN_A_CHILD_PROCESS
async def test_many_large_responses_are_each_written_whole() -> None:
    count = 40
    texts = {n: f"{n:03d}" * 100_000 for n in range(count)}
    async with running() as peer:

        async def send_all() -> None:
            for n, text in texts.items():
                await peer.send(call("echo", {"text": text}, request_id=n))
                if n % 10 == 0:
                    await peer.send(call("noisy", {}, request_id=f"noisy-{n}"))

        received: list[dict[str, Any]] = []
        async with anyio.create_task_group() as group:
            group.start_soon(send_all)
            for _ in range(count + count // 10):
                received.append(await peer.receive())
        code, rest, _ = await peer.finish()
    assert (code, rest) == (0, [])
    answered = by_id(received)
    assert {n: only_text(answered[n]["result"]) for n in texts} == texts
    assert {only_text(answered[f"noisy-{n}"]["result"]) for n in range(0, count, 10)} == {"quiet"}


@pytest.mark.parametrize(
    ("options", "visible"),
    [
        pytest.param((), False, id="no-scope"),
        pytest.param(("--scope", "mcp:read", "--scope", "other"), True, id="scope-mcp-read"),
    ],
)
@IN_A_CHILD_PROCESS
async def test_scope_option_decides_what_the_stdio_client_sees(
    options: tuple[str, ...], visible: bool
) -> None:
    async with running(*options) as peer:
        await peer.send(
            modern_request("tools/list", {}, 1)[0],
            modern_call("secret", {}, request_id=2),
            legacy_request("tools/list", {}, 3),
        )
        code, responses, _ = await peer.finish()
    assert code == 0
    answered = by_id(responses)
    for list_id in (1, 3):
        names = [tool["name"] for tool in answered[list_id]["result"]["tools"]]
        assert ("secret" in names) is visible
    if visible:
        assert only_text(answered[2]["result"]) == SECRET
    else:
        assert error_code(answered[2]) == -32602


@IN_A_CHILD_PROCESS
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
async def test_interrupt_stops_the_server_while_stdin_stays_open() -> None:
    # Ctrl+C at a terminal: no end of input will come, yet the process must exit.
    async with running() as peer:
        await peer.send(legacy_request("ping", None, 1))
        assert await peer.receive() == {"jsonrpc": "2.0", "id": 1, "result": {}}
        peer.process.send_signal(signal.SIGINT)
        with anyio.fail_after(TIMEOUT):
            await peer.process.wait()
        code, rest, errors = await peer.finish()
    assert code == 130
    assert rest == []
    assert "Traceback" not in errors
    assert SHUTDOWN in errors


@IN_A_CHILD_PROCESS
async def test_regular_files_serve_as_stdin_and_stdout(tmp_path: Path) -> None:
    unicode_request = frame(call("echo", {"text": "@"}, request_id="utf8"))
    data = b"".join(
        [
            b"\n  \n",
            frame(initialize(request_id=1)),
            b"garbage\n",
            unicode_request.replace(b"@", b"caf\xc3\xa9 \xff"),
            b"\r\n",
            frame(call("noisy", {}, request_id=2)),
            frame(modern_call("echo", {"text": "modern"}, request_id=3)),
            frame(call("whoami", {"text": "in a worker thread"}, request_id=4)),
        ]
    )
    code, output, errors = await run_with_files(tmp_path, data)
    assert code == 0
    responses = parse_lines(output)
    assert len(responses) == 6
    answered = by_id(responses)
    assert answered[1]["result"]["protocolVersion"] == LEGACY
    assert error_code(answered[None]) == -32700
    assert only_text(answered["utf8"]["result"]) == "café \ufffd"
    assert only_text(answered[2]["result"]) == "quiet"
    assert only_text(answered[3]["result"]) == "modern"
    assert answered[3]["result"]["resultType"] == "complete"
    assert answered[4]["result"]["structuredContent"]["echo"] == "in a worker thread"
    assert "stray print from a tool" in errors


@IN_A_CHILD_PROCESS
async def test_oversized_line_in_a_file_is_refused_and_reading_continues(tmp_path: Path) -> None:
    template = frame(call("echo", {"text": "@"}, request_id=1))
    oversized = template.replace(b"@", b"z" * DEFAULT_LIMIT)
    data = oversized + frame(call("echo", {"text": "next"}, request_id=2))
    code, output, _ = await run_with_files(tmp_path, data)
    assert code == 0
    responses = parse_lines(output)
    assert len(responses) == 2
    answered = by_id(responses)
    assert error_code(answered[None]) == -32600
    assert only_text(answered[2]["result"]) == "next"


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_terminal_serves_as_stdin_and_stdout() -> None:
    controller, terminal = os.openpty()
    attributes = termios.tcgetattr(terminal)
    attributes[3] &= ~termios.ECHO  # lflag: the terminal must not echo the requests back
    termios.tcsetattr(terminal, termios.TCSANOW, attributes)
    process = subprocess.Popen(
        command(), cwd=ROOT, stdin=terminal, stdout=terminal, stderr=subprocess.PIPE
    )
    os.close(terminal)
    try:
        requests = frame(call("noisy", {}, request_id=1)) + frame(call("echo", {"text": "tty"}, 2))
        os.write(controller, requests + bytes([attributes[6][termios.VEOF][0]]))
        output = _read_terminal(controller, expected_lines=2)
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
        assert process.stderr is not None
        errors = process.stderr.read().decode(errors="replace")
        process.stderr.close()
        os.close(controller)
    answered = by_id(parse_lines(output.replace(b"\r\n", b"\n")))
    assert only_text(answered[1]["result"]) == "quiet"
    assert only_text(answered[2]["result"]) == "tty"
    assert "stray print from a tool" in errors


def _read_terminal(controller: int, expected_lines: int) -> bytes:
    output = b""
    while output.count(b"\n") < expected_lines:
        ready, _, _ = select.select([controller], [], [], TIMEOUT)
        assert ready, f"no output from the terminal within {TIMEOUT} s; got {output!r}"
        output += os.read(controller, 65536)
    return output
