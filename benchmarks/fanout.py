"""Fan-out latency of a change notification across replicas sharing one Redis.

    python -m benchmarks.fanout [--changes 200] [--listeners 10]

Starts a redis-server (`scripts/redis-server`) and three `http-mcp run` replicas of the small
server below on loopback ports. Replicas B and C each hold `--listeners` open
`subscriptions/listen` streams; each round, a tool call on replica A announces that the tool
list changed, and the time from sending that call until each listener has read the notification
is recorded. Prints p50, p99 and max over every (round, listener) pair.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any, Final

import anyio
import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.types import Tool

ROOT: Final = Path(__file__).resolve().parent.parent
TIMEOUT_S: Final = 30.0
META: Final = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


async def touch() -> str:
    """Tells every listening client that the tool list changed."""
    await server.notify_tools_changed()
    return "announced"


server = MCPServer(name="fanout", version="1", tools=(Tool(func=touch),), notifications=True)
app = Starlette(routes=[Route("/mcp", server.app)], lifespan=server.lifespan)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"fanout: a process exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a port that is not listening yet
    sys.exit("fanout: a process did not start in time")


@contextmanager
def processes() -> Iterator[list[int]]:
    """Redis and three replicas on it; the replicas' ports. Everything stopped by pid."""
    started: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="fanout-redis-") as folder:
        try:
            redis_port = free_port()
            redis = [str(ROOT / "scripts" / "redis-server"), "--port", str(redis_port)]
            redis += ["--bind", "127.0.0.1", "--save", "", "--dir", folder]
            started.append(subprocess.Popen(redis, stdout=subprocess.DEVNULL))
            wait_for_port(redis_port, started[-1])
            ports = [free_port() for _ in range(3)]
            for port in ports:
                command = [sys.executable, "-m", "http_mcp", "run", "benchmarks.fanout:app"]
                command += ["--port", str(port), "--log-level", "warning"]
                command += ["--store", f"redis://127.0.0.1:{redis_port}/0"]
                started.append(subprocess.Popen(command, cwd=ROOT))
                wait_for_port(port, started[-1])
            yield ports
        finally:
            for process in reversed(started):
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


def headers(method: str, name: str | None = None) -> dict[str, str]:
    found = {
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": method,
    }
    if name is not None:
        found["mcp-name"] = name
    return found


async def messages(
    client: httpx.AsyncClient, url: str, stack: AsyncExitStack
) -> AsyncIterator[Any]:
    """The JSON-RPC messages of one listen stream, opened on `url`."""
    params = {"notifications": {"toolsListChanged": True}, "_meta": META}
    body = {"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen", "params": params}
    response = await stack.enter_async_context(
        client.stream("POST", url, json=body, headers=headers("subscriptions/listen"))
    )
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            yield json.loads(line[5:])


async def measure(ports: list[int], changes: int, per_replica: int) -> list[float]:
    urls = [f"http://127.0.0.1:{port}/mcp" for port in ports]
    limits = httpx.Limits(max_connections=4 * per_replica + 8)
    latencies: list[float] = []
    async with (
        httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as client,
        AsyncExitStack() as stack,
    ):
        streams = [
            messages(client, url, stack).__aiter__() for url in urls[1:] for _ in range(per_replica)
        ]
        for stream in streams:
            acknowledgement = await stream.__anext__()
            assert acknowledgement["method"] == "notifications/subscriptions/acknowledged"
        call = {"name": "touch", "arguments": {}, "_meta": META}
        body = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call}
        for _ in range(changes):
            sent = time.perf_counter()
            arrived: list[float] = []

            async def receive(
                stream: AsyncIterator[Any], sent: float = sent, arrived: list[float] = arrived
            ) -> None:
                change = await stream.__anext__()
                assert change["method"] == "notifications/tools/list_changed"
                arrived.append(time.perf_counter() - sent)

            with anyio.fail_after(TIMEOUT_S):
                async with anyio.create_task_group() as group:
                    for stream in streams:
                        group.start_soon(receive, stream)
                    answer = await client.post(
                        urls[0], json=body, headers=headers("tools/call", "touch")
                    )
                    assert answer.status_code == 200, answer.text
            latencies.extend(arrived)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--listeners", type=int, default=10, help="per listening replica")
    args = parser.parse_args()
    with processes() as ports:
        latencies = anyio.run(measure, ports, args.changes, args.listeners)
    ms = [value * 1000 for value in latencies]
    print(  # noqa: T201
        f"fan-out over Redis, 1 -> 2 replicas x {args.listeners} listeners, {args.changes} "
        f"changes: p50 {percentile(ms, 0.5):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms, "
        f"max {max(ms):.2f} ms, mean {statistics.fmean(ms):.2f} ms ({len(ms)} deliveries)"
    )


if __name__ == "__main__":
    main()
