"""Several real server processes and a round-robin reverse proxy in front of them.

```python
with Replicas("tests.fixtures.replica_app:app", 3, store_url=redis_url) as replicas:
    async with RoundRobinProxy(replicas.ports) as proxy:
        ...  # a client talks to proxy.url; replicas.members[0].kill() stops one by pid
```

The proxy sends each HTTP request to the next replica (it answers with `Connection: close`, so
a client's next request opens a new connection and goes to the next one), skips replicas that
refuse connections, and streams responses, event streams included.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Final

import anyio

from tests.redis_support import free_port

ROOT: Final = Path(__file__).resolve().parent.parent
START_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 10.0
_BAD_GATEWAY: Final = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class Replica:
    """One `http-mcp run` process on a free loopback port; its stderr is kept in `log`."""

    def __init__(
        self, target: str, store_url: str | None, env: dict[str, str], options: Sequence[str]
    ) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "http_mcp", "run", target, "--port", str(self.port)]
        command += ["--log-level", "info", *options]
        if store_url is not None:
            command += ["--store", store_url]
        environment = {k: v for k, v in os.environ.items() if k != "HTTP_MCP_STORE"}
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**environment, **env},
        )
        self.log = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def wait_until_serving(self, deadline: float) -> None:
        """Block until uvicorn listens and the app's startup ran, or fail with the log."""
        listening = started = False
        while not (listening and started):
            line = self._next_line(deadline, "serving")
            listening = listening or "serving on" in line
            started = started or "Application startup complete." in line

    def wait_for_line(self, text: str, timeout: float = START_TIMEOUT_S) -> str:
        """Block until a line logged from now on contains `text`, or fail with the log."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._next_line(deadline, f"logging {text!r}")
            if text in line:
                return line

    def _next_line(self, deadline: float, waiting_for: str) -> str:
        """The next line logged, or fail with the log if none comes in time or it exits."""
        try:
            line = self._lines.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            raise RuntimeError(f"replica timed out {waiting_for}:\n{self.log}") from None
        if line is None:
            raise RuntimeError(f"replica exited before {waiting_for}:\n{self.log}")
        return line

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` (default SIGKILL) to the process and reap it."""
        if self.process.poll() is None:
            os.kill(self.pid, sig)
        self.process.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(STOP_TIMEOUT_S)

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode(errors="replace")
            self.log += line
            self._lines.put(line)
        self._lines.put(None)
        self.process.stderr.close()


class Replicas:
    """`count` processes serving `target`, sharing `store_url`; stopped by pid on exit.

    `options` go to each `http-mcp run` command line; `env` adds environment variables.
    """

    def __init__(
        self,
        target: str,
        count: int,
        *,
        store_url: str | None = None,
        env: dict[str, str] | None = None,
        options: Sequence[str] = (),
    ) -> None:
        self._target = target
        self._options = tuple(options)
        self._count = count
        self._store_url = store_url
        self._env = dict(env or {})
        self.members: list[Replica] = []

    @property
    def ports(self) -> list[int]:
        return [member.port for member in self.members]

    @property
    def pids(self) -> set[int]:
        return {member.pid for member in self.members}

    def __enter__(self) -> Replicas:
        try:
            for _ in range(self._count):
                self.members.append(
                    Replica(self._target, self._store_url, self._env, self._options)
                )
            deadline = time.monotonic() + START_TIMEOUT_S
            for member in self.members:
                member.wait_until_serving(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        for member in self.members:
            member.stop()


class RoundRobinProxy:
    """An HTTP reverse proxy on a free loopback port, sending each request to the next port."""

    def __init__(self, ports: Sequence[int]) -> None:
        self.ports = list(ports)
        self.port = 0
        self.forwarded: Counter[int] = Counter()
        self._turn = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    async def __aenter__(self) -> RoundRobinProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._connections:
            task.cancel()
        with anyio.fail_after(STOP_TIMEOUT_S):
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    async def _serve(self, client: asyncio.StreamReader, reply: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            head = await client.readuntil(b"\r\n\r\n")
            backend = await self._connect()
            if backend is None:
                reply.write(_BAD_GATEWAY)
                return
            upstream, request = backend
            request.write(_closing(head))
            forward = asyncio.create_task(_pipe(client, request))
            try:
                await _pipe(upstream, reply)
            finally:
                # Closed before anything is awaited: a cancelled task must not leak it.
                request.close()
                forward.cancel()
                await asyncio.gather(forward, return_exceptions=True)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client went away, or sent no complete request head
        finally:
            try:
                with contextlib.suppress(ConnectionError):
                    await reply.drain()
            finally:
                reply.close()
                self._connections.discard(task)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to the next replica that accepts one (a stopped one is skipped)."""
        for _ in range(len(self.ports)):
            port = self.ports[self._turn % len(self.ports)]
            self._turn += 1
            try:
                connection = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.forwarded[port] += 1
            return connection
        return None


def _closing(head: bytes) -> bytes:
    """The request head with `Connection: close`, so each request gets its own connection."""
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    kept = [line for line in lines if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n"


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while chunk := await source.read(65536):
        sink.write(chunk)
        await sink.drain()
