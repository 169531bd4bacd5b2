"""Three replicas sharing one Redis behind a round-robin proxy, driven by the official client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import anyio
import httpx
import pytest

from tests.conftest import LEGACY, MODERN, legacy_request
from tests.replica_support import Replicas, RoundRobinProxy
from tests.support import sdk_client

pytestmark = pytest.mark.anyio

TARGET: Final = "tests.fixtures.replica_app:app"
TIMEOUT_S: Final = 30.0
MODES: Final = [
    pytest.param("auto", MODERN, id="2026-07-28"),
    pytest.param("legacy", LEGACY, id="2025-11-25"),
]


@pytest.fixture(scope="module")
def replicas(redis_url: str) -> Iterator[Replicas]:
    with Replicas(TARGET, 3, store_url=redis_url) as running:
        yield running


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_the_sdk_client_is_served_by_every_replica_behind_the_proxy(
    replicas: Replicas, mode: str, version: str
) -> None:
    async with (
        RoundRobinProxy(replicas.ports) as proxy,
        sdk_client(proxy.url, mode, wait_s=TIMEOUT_S) as client,
    ):
        with anyio.fail_after(TIMEOUT_S):
            assert client.protocol_version == version
            names = {tool.name for tool in (await client.list_tools()).tools}
            pids = []
            for _ in range(9):
                result = await client.call_tool("whoami", {})
                assert not result.is_error
                assert result.structured_content is not None
                pids.append(result.structured_content["pid"])
    assert names == {"whoami", "store_kind", "remember", "recall"}
    assert set(pids) == replicas.pids
    assert set(proxy.forwarded) == set(replicas.ports)


async def test_a_value_written_through_one_replica_is_read_through_the_others(
    replicas: Replicas,
) -> None:
    def call(name: str, **arguments: str) -> dict[str, Any]:
        return legacy_request("tools/call", {"name": name, "arguments": arguments})

    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        first, *others = replicas.members
        wrote = await http.post(first.url, json=call("remember", key="k", value="shared"))
        assert wrote.json()["result"]["content"][0]["text"] == "remembered"
        for replica in others:
            read = await http.post(replica.url, json=call("recall", key="k"))
            assert read.json()["result"]["content"][0]["text"] == "shared"
            kind = await http.post(replica.url, json=call("store_kind"))
            assert kind.json()["result"]["content"][0]["text"] == "RedisStore"


async def test_the_proxy_skips_a_replica_that_was_killed(redis_url: str) -> None:
    with Replicas(TARGET, 2, store_url=redis_url) as pair:
        dead, alive = pair.members
        dead.kill()
        async with RoundRobinProxy(pair.ports) as proxy, httpx.AsyncClient() as http:
            body = legacy_request("tools/call", {"name": "whoami", "arguments": {}})
            for _ in range(4):
                answer = await http.post(proxy.url, json=body, timeout=TIMEOUT_S)
                assert answer.json()["result"]["structuredContent"]["pid"] == alive.pid
        assert proxy.forwarded == {alive.port: 4}
