"""The nginx configuration in deploy/ in front of three replicas sharing one Redis.

nginx is the distribution's package, unpacked by `scripts/nginx` into `.tools/nginx` (run by
`scripts/test`); without it these tests are skipped, except under `CI=true`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import anyio
import httpx
import pytest
from mcp import Client

from tests.conftest import LEGACY, MODERN
from tests.redis_support import free_port
from tests.replica_support import Replicas
from tests.support import sdk_client

pytestmark = pytest.mark.anyio

ROOT: Final = Path(__file__).resolve().parent.parent
CONFIG: Final = ROOT / "deploy" / "nginx.conf"
SCRIPT: Final = ROOT / "scripts" / "nginx"
BINARY: Final = ROOT / ".tools" / "nginx" / "usr" / "sbin" / "nginx"
TARGET: Final = "tests.fixtures.replica_app:app"
TIMEOUT_S: Final = 30.0
_UPSTREAM: Final = re.compile(r"^(\s*)server 127\.0\.0\.1:800[0-9]( .*)$", re.MULTILINE)
_LISTEN: Final = "listen 127.0.0.1:8080;"


def require_nginx() -> None:
    if BINARY.exists():
        return
    reason = "nginx is not unpacked in .tools/nginx: run scripts/nginx"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def configured(ports: Sequence[int], port: int) -> str:
    """deploy/nginx.conf with the replicas' ports and the listening port put in."""
    text = CONFIG.read_text()
    assert len(_UPSTREAM.findall(text)) == len(ports)
    assert _LISTEN in text
    lines = iter(ports)
    text = _UPSTREAM.sub(lambda m: f"{m[1]}server 127.0.0.1:{next(lines)}{m[2]}", text)
    return text.replace(_LISTEN, f"listen 127.0.0.1:{port};")


class Nginx:
    """nginx on a free loopback port in a temporary prefix, stopped by pid."""

    def __init__(self, ports: Sequence[int]) -> None:
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="nginx-")
        prefix = Path(self._dir.name)
        (prefix / "tmp").mkdir()
        (prefix / "nginx.conf").write_text(configured(ports, self.port))
        self.process = subprocess.Popen(
            [
                SCRIPT,
                "-e",
                "stderr",
                "-p",
                prefix,
                "-c",
                prefix / "nginx.conf",
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                assert self.process.stderr is not None
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        assert self.process.stderr is not None
        self.process.stderr.close()
        self._dir.cleanup()


@pytest.fixture
def replicas(redis_url: str) -> Iterator[Replicas]:
    require_nginx()
    with Replicas(TARGET, 3, store_url=redis_url) as running:
        yield running


@pytest.fixture
def nginx(replicas: Replicas) -> Iterator[Nginx]:
    proxy = Nginx(replicas.ports)
    try:
        proxy.wait_until_serving()
        yield proxy
    finally:
        proxy.stop()


async def answering_pids(client: Client, calls: int) -> list[int]:
    pids = []
    for _ in range(calls):
        result = await client.call_tool("whoami", {})
        assert not result.is_error
        assert result.structured_content is not None
        pids.append(int(result.structured_content["pid"]))
    return pids


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_the_sdk_client_is_served_by_every_replica_through_nginx(
    replicas: Replicas, nginx: Nginx, mode: str, version: str
) -> None:
    async with sdk_client(nginx.url, mode, wait_s=TIMEOUT_S) as client:
        with anyio.fail_after(TIMEOUT_S):
            assert client.protocol_version == version
            pids = await answering_pids(client, 9)
    assert set(pids) == replicas.pids


async def test_a_killed_replica_costs_no_request(replicas: Replicas, nginx: Nginx) -> None:
    killed = replicas.members[0]
    killed.kill()
    async with sdk_client(nginx.url, "auto", wait_s=TIMEOUT_S) as client:
        with anyio.fail_after(TIMEOUT_S):
            pids = await answering_pids(client, 12)
    assert set(pids) == replicas.pids - {killed.pid}


async def test_a_public_name_the_replicas_do_not_list_is_refused_with_the_setting_to_change(
    nginx: Nginx,
) -> None:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        response = await http.post(
            nginx.url,
            json=body,
            headers={"host": "mcp.example.test", "accept": "application/json"},
        )
    assert response.status_code == 421
    message = response.json()["error"]["message"]
    assert "allowed_hosts" in message
    assert "mcp.example.test" in message


def test_the_tests_change_only_addresses_in_the_configuration() -> None:
    changed = configured([9001, 9002, 9003], 9080)
    original = CONFIG.read_text()
    assert changed.count("\n") == original.count("\n")
    differing = [
        (a, b) for a, b in zip(original.splitlines(), changed.splitlines(), strict=True) if a != b
    ]
    assert len(differing) == 4
    assert all(re.sub(r"[0-9]{4}", "N", a) == re.sub(r"[0-9]{4}", "N", b) for a, b in differing)
