"""Tasks across three replicas sharing one Redis behind a round-robin proxy, over sockets.

A task is created on replica A (addressed directly) and then polled, answered and cancelled
through the proxy, which sends each request to the next replica.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import anyio
import httpx
import pytest

from tests.listen_support import SUBSCRIPTION_ID, Listener
from tests.redis_support import RedisServer
from tests.replica_support import Replicas, RoundRobinProxy
from tests.task_support import TERMINAL, WITH_TASKS, TaskClient

pytestmark = pytest.mark.anyio

TARGET: Final = "tests.fixtures.task_app:app"
PARKED: Final = frozenset({"input_required"})
GO: Final = {"go": {"action": "accept", "content": {"go": True}}}


@pytest.fixture
def replicas(redis_url: str) -> Iterator[Replicas]:
    with Replicas(TARGET, 3, store_url=redis_url) as running:
        yield running


async def created_on(url: str, tool: str, arguments: dict[str, float] | None = None) -> str:
    """Make a task on one replica, over a connection closed before that replica may die."""
    async with httpx.AsyncClient(timeout=10) as direct:
        return await TaskClient(direct, url).create(tool, arguments)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_a_task_made_on_one_replica_is_answered_and_cancelled_on_the_others(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    on_a = TaskClient(http, replicas.members[0].url)
    async with RoundRobinProxy(replicas.ports) as proxy:
        anywhere = TaskClient(http, proxy.url)
        parked = await on_a.create("ask")
        await anywhere.wait_for(parked, PARKED)
        await anywhere.result("tasks/update", {"taskId": parked, "inputResponses": GO})
        done = await anywhere.wait_for(parked, TERMINAL)
        finished_by = int(done["result"]["content"][0]["text"].split()[-1])
        assert finished_by in replicas.pids

        running = await on_a.create("work", {"seconds": 60})
        assert (await anywhere.get(running))["status"] == "working"
        await anywhere.result("tasks/cancel", {"taskId": running})
        assert (await anywhere.wait_for(running, TERMINAL))["status"] == "cancelled"
        assert len(proxy.forwarded) == 3


async def next_state(stream: Listener) -> Any:
    """The next `notifications/tasks` on a listen stream: the task as it is now."""
    message = await stream.next_message()
    assert message["method"] == "notifications/tasks", message
    assert message["params"]["_meta"] == {SUBSCRIPTION_ID: "on-b"}
    return message["params"]


async def test_a_listener_on_one_replica_hears_tasks_made_on_another_end_on_a_third(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    a, b, c = replicas.members
    on_c = TaskClient(http, c.url)
    parked = await created_on(a.url, "ask")
    await on_c.wait_for(parked, PARKED)
    running = await created_on(a.url, "work", {"seconds": 60})
    wanted = {"taskIds": [parked, running]}
    with anyio.fail_after(30):
        async with Listener(
            http, b.url, wanted, request_id="on-b", capabilities=WITH_TASKS
        ) as on_b:
            ack = await on_b.next_message()
            now = [await next_state(on_b), await next_state(on_b)]
            await on_c.result("tasks/update", {"taskId": parked, "inputResponses": GO})
            answered = [await next_state(on_b), await next_state(on_b)]
            await on_c.result("tasks/cancel", {"taskId": running})
            cancelled = await next_state(on_b)
    assert ack["params"]["notifications"] == {"taskIds": sorted([parked, running])}
    assert [(s["taskId"], s["status"]) for s in now] == [
        (parked, "input_required"),
        (running, "working"),
    ]
    assert [(s["taskId"], s["status"]) for s in answered] == [
        (parked, "working"),
        (parked, "completed"),
    ]
    assert answered[1]["result"]["content"][0]["text"] == f"finished in {c.pid}"
    assert (cancelled["taskId"], cancelled["status"]) == (running, "cancelled")


async def test_a_task_whose_replica_is_killed_fails_within_the_lease(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    async with RoundRobinProxy(replicas.ports) as proxy:
        anywhere = TaskClient(http, proxy.url)
        task_id = await created_on(replicas.members[0].url, "work", {"seconds": 60})
        replicas.members[0].kill()
        failed = await anywhere.wait_for(task_id, TERMINAL, seconds=15)
        assert failed["status"] == "failed"
        assert "stopped" in failed["error"]["message"]
        assert "stopped" in failed["statusMessage"]


async def test_a_parked_task_completes_after_its_replica_died(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    async with RoundRobinProxy(replicas.ports) as proxy:
        anywhere = TaskClient(http, proxy.url)
        task_id = await created_on(replicas.members[0].url, "ask")
        await anywhere.wait_for(task_id, PARKED)
        replicas.members[0].kill()
        await anywhere.result("tasks/update", {"taskId": task_id, "inputResponses": GO})
        done = await anywhere.wait_for(task_id, TERMINAL)
        assert done["status"] == "completed"
        finished_by = int(done["result"]["content"][0]["text"].split()[-1])
        assert finished_by in replicas.pids - {replicas.members[0].pid}


async def test_redis_stopped_gives_clear_errors_then_tasks_recover(
    redis_server: RedisServer, http: httpx.AsyncClient
) -> None:
    with Replicas(TARGET, 3, store_url=redis_server.url) as replicas:
        async with RoundRobinProxy(replicas.ports) as proxy:
            anywhere = TaskClient(http, proxy.url)
            before = await anywhere.create("work", {"seconds": 0})
            redis_server.stop()
            for _ in range(3):  # once on each replica
                polled = await anywhere.post("tasks/get", {"taskId": before})
                assert polled.status_code == 200
                assert "Traceback" not in polled.text
                assert polled.json()["error"]["code"] == -32603
                assert "task store" in polled.json()["error"]["message"]
                direct = await anywhere.result("tools/call", {"name": "ask", "arguments": {}})
                assert direct["resultType"] == "input_required"
            redis_server.start()
            with anyio.fail_after(30):
                while True:
                    response = await anywhere.post(
                        "tools/call", {"name": "work", "arguments": {"seconds": 0}}
                    )
                    if response.json().get("result", {}).get("resultType") == "task":
                        break
                    await anyio.sleep(0.1)  # the store reconnects by itself; nothing to await
            after = response.json()["result"]["taskId"]
            assert (await anywhere.wait_for(after, TERMINAL))["status"] == "completed"
