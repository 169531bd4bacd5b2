"""Change notifications across replicas sharing one Redis, and while Redis is away."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Final

import anyio
import anyio.to_thread
import httpx
import pytest

from http_mcp.stores import RedisStore
from tests.conftest import modern_request, starlette_app
from tests.listen_support import SUBSCRIPTION_ID, Listener
from tests.listen_support import changes_server as make_server
from tests.redis_support import RedisServer, free_port
from tests.replica_support import ROOT, Replicas, RoundRobinProxy

pytestmark = pytest.mark.anyio

TARGET: Final = "tests.fixtures.changes_app:app"
TIMEOUT_S: Final = 30.0
ACK: Final = "notifications/subscriptions/acknowledged"
TOOLS_CHANGED: Final = "notifications/tools/list_changed"
LISTEN: Final = {"toolsListChanged": True}


@pytest.fixture(scope="module")
def replicas(redis_url: str) -> Iterator[Replicas]:
    with Replicas(TARGET, 3, store_url=redis_url) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as opened:
        yield opened


async def call(client: httpx.AsyncClient, url: str, tool: str) -> httpx.Response:
    body, routing = modern_request("tools/call", {"name": tool, "arguments": {}})
    headers = {"accept": "application/json, text/event-stream", **routing}
    return await client.post(url, json=body, headers=headers)


async def test_a_listener_on_one_replica_hears_a_change_announced_on_another(
    replicas: Replicas, client: httpx.AsyncClient
) -> None:
    a, b, _ = replicas.members
    with anyio.fail_after(TIMEOUT_S):
        async with Listener(client, b.url, LISTEN, request_id=2) as on_b:
            assert (await on_b.next_message())["method"] == ACK
            touched = await call(client, a.url, "touch")
            assert touched.json()["result"]["content"][0]["text"] == "announced"
            change = await on_b.next_message()
    assert change["method"] == TOOLS_CHANGED
    assert change["params"]["_meta"] == {SUBSCRIPTION_ID: 2}


async def test_behind_a_round_robin_proxy_every_replicas_listener_hears_a_change(
    replicas: Replicas, client: httpx.AsyncClient
) -> None:
    async with RoundRobinProxy(replicas.ports) as proxy:
        with anyio.fail_after(TIMEOUT_S):
            async with (
                Listener(client, proxy.url, LISTEN, request_id=1) as first,
                Listener(client, proxy.url, LISTEN, request_id=2) as second,
                Listener(client, proxy.url, LISTEN, request_id=3) as third,
            ):
                streams = (first, second, third)
                for stream in streams:
                    assert (await stream.next_message())["method"] == ACK
                await call(client, proxy.url, "touch")
                changes = [await stream.next_message() for stream in streams]
        assert sorted(proxy.forwarded.values()) == [1, 1, 2]  # one listen on each replica
    assert [c["params"]["_meta"][SUBSCRIPTION_ID] for c in changes] == [1, 2, 3]
    assert {c["method"] for c in changes} == {TOOLS_CHANGED}


async def first_answer_to_listen(client: httpx.AsyncClient, url: str) -> Any:
    """The first message a new listen stream gets (its acknowledgement, or an error)."""
    async with Listener(client, url, LISTEN) as listener:
        assert listener.response is not None
        return await listener.next_message()


async def refusal_while_redis_is_away(client: httpx.AsyncClient, url: str) -> Any:
    """The answer to a listen once the replica has noticed that Redis is gone.

    Until the replica's connection to Redis fails, a listen may still be acknowledged (the
    stream then ends with an error when the connection is found lost): ask again.
    """
    while True:
        first = await first_answer_to_listen(client, url)
        if first.get("method") != ACK:
            return first


async def acknowledgement_once_redis_is_back(client: httpx.AsyncClient, url: str) -> Listener:
    """An open, acknowledged listen stream, asking again while the replica reconnects."""
    while True:
        listener = Listener(client, url, LISTEN)
        await listener.__aenter__()
        first = await listener.next_message()
        if first.get("method") == ACK:
            return listener
        await listener.__aexit__(None, None, None)
        assert first["error"]["code"] == -32603


async def test_without_redis_listen_is_refused_clearly_and_stateless_calls_go_on(
    redis_server: RedisServer, client: httpx.AsyncClient
) -> None:
    options = ("--workers", "1")
    with Replicas(TARGET, 1, store_url=redis_server.url, options=options) as running:
        url = running.members[0].url
        with anyio.fail_after(TIMEOUT_S):
            async with Listener(client, url, LISTEN) as open_stream:
                assert (await open_stream.next_message())["method"] == ACK
                redis_server.stop()
                error = (await refusal_while_redis_is_away(client, url))["error"]
                assert error["code"] == -32603
                assert "store cannot be reached" in error["message"]
                whoami = await call(client, url, "whoami")
                assert whoami.json()["result"]["structuredContent"]["pid"] == running.members[0].pid
                redis_server.start()
                # The stream open across the outage ends: changes may have been missed.
                ended = await open_stream.next_message()
                assert ended["id"] == 7
                assert ended["error"]["code"] == -32603
                assert "listen again" in ended["error"]["message"]
            listener = await acknowledgement_once_redis_is_back(client, url)
            try:
                await call(client, url, "touch")
                change = await listener.next_message()
            finally:
                await listener.__aexit__(None, None, None)
    assert change["method"] == TOOLS_CHANGED


async def test_a_stopping_server_ends_open_listen_streams_with_a_final_result(
    client: httpx.AsyncClient,
) -> None:
    with Replicas(TARGET, 1) as running:
        member = running.members[0]
        with anyio.fail_after(TIMEOUT_S):
            async with Listener(client, member.url, LISTEN, request_id="bye") as stream:
                assert (await stream.next_message())["method"] == ACK
                os.kill(member.pid, signal.SIGTERM)
                final = await stream.next_message()
                after = await stream.next_message()
            # A graceful stop on SIGTERM is a success.
            assert await anyio.to_thread.run_sync(member.process.wait) == 0
    assert final["id"] == "bye"
    assert final["result"]["resultType"] == "complete"
    assert final["result"]["_meta"][SUBSCRIPTION_ID] == "bye"
    assert after is None


async def test_stopping_several_workers_ends_their_listen_streams_with_a_final_result(
    redis_url: str, client: httpx.AsyncClient
) -> None:
    with Replicas(TARGET, 1, store_url=redis_url, options=("--workers", "2")) as running:
        member = running.members[0]

        async def logged(text: str) -> str:
            return await anyio.to_thread.run_sync(lambda: member.wait_for_line(text))

        # Workers started each way uvicorn starts them: one more, all replaced, one revived.
        os.kill(member.pid, signal.SIGTTIN)
        await logged("increasing the number of processes")
        os.kill(member.pid, signal.SIGHUP)
        for _ in range(3):
            terminated = await logged("Terminated child process")
        last_old = terminated.rsplit("[", 1)[1].rstrip("]\n")
        await logged(f"Finished server process [{last_old}]")
        whoami = await call(client, member.url, "whoami")
        worker = whoami.json()["result"]["structuredContent"]["pid"]
        os.kill(worker, signal.SIGKILL)
        await logged(f"Child process [{worker}] died")
        await logged("Application startup complete.")
        ids = ["one", "two", "three", "four"]
        with anyio.fail_after(TIMEOUT_S):
            async with contextlib.AsyncExitStack() as stack:
                streams = [
                    await stack.enter_async_context(
                        Listener(client, member.url, LISTEN, request_id=request_id)
                    )
                    for request_id in ids
                ]
                for stream in streams:
                    assert (await stream.next_message())["method"] == ACK
                os.kill(member.pid, signal.SIGTERM)  # the supervisor, which stops its workers
                finals = [await stream.next_message() for stream in streams]
                ends = [await stream.next_message() for stream in streams]
            assert await anyio.to_thread.run_sync(member.process.wait) == 0
    assert [final["id"] for final in finals] == ids
    assert {final["result"]["resultType"] for final in finals} == {"complete"}
    assert [final["result"]["_meta"][SUBSCRIPTION_ID] for final in finals] == ids
    assert ends == [None] * len(ids)


async def test_listen_on_an_unreachable_redis_is_refused_within_the_store_timeout(
    live: Callable[[Any], Any], client: httpx.AsyncClient
) -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    url = live(starlette_app(make_server(notifications=True, store=store))).url
    with anyio.fail_after(TIMEOUT_S):
        first = await first_answer_to_listen(client, url)
    assert first["id"] == 7
    assert first["error"]["code"] == -32603


async def test_a_listen_stream_open_while_redis_restarts_ends_with_an_error(
    live: Callable[[Any], Any], client: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    store = RedisStore(redis_server.url, timeout=1.0)
    url = live(starlette_app(make_server(notifications=True, store=store))).url
    with anyio.fail_after(TIMEOUT_S):
        async with Listener(client, url, LISTEN) as stream:
            assert (await stream.next_message())["method"] == ACK
            redis_server.stop()
            redis_server.start()
            ended = await stream.next_message()
    assert ended["error"]["code"] == -32603


async def test_after_an_add_on_each_replica_every_replica_lists_the_new_tool(
    replicas: Replicas, client: httpx.AsyncClient
) -> None:
    async with RoundRobinProxy(replicas.ports) as proxy:
        with anyio.fail_after(TIMEOUT_S):
            async with Listener(client, proxy.url, LISTEN) as stream:
                assert (await stream.next_message())["method"] == ACK
                for member in replicas.members:
                    grown = await call(client, member.url, "grow")
                    assert grown.json()["result"]["content"][0]["text"] in ("grown", "already")
                told = await stream.next_message()
                listings = [await tool_names(client, proxy.url) for _ in replicas.members]
    assert told["method"] == TOOLS_CHANGED
    assert sorted(proxy.forwarded.values()) == [1, 1, 2]  # a listen, then a list on each
    assert all("extra" in names for names in listings)


async def tool_names(client: httpx.AsyncClient, url: str) -> list[str]:
    body, routing = modern_request("tools/list")
    headers = {"accept": "application/json, text/event-stream", **routing}
    response = await client.post(url, json=body, headers=headers)
    return [tool["name"] for tool in response.json()["result"]["tools"]]


def test_several_workers_on_the_in_process_store_are_refused_when_notifications_are_on() -> None:
    command = [sys.executable, "-m", "http_mcp", "run", TARGET, "--workers", "2", "--port", "0"]
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode != 0
    assert "--workers needs a store all workers share" in completed.stderr
