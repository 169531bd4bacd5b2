"""`notifications/tasks` on `subscriptions/listen` (the tasks extension), on one server."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Final

import anyio
import anyio.to_thread
import httpx
import pytest
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp._changes import CHANNEL
from http_mcp.types import Arguments, Elicitation, InputRequired, NoArguments, Tool
from tests.conftest import starlette_app
from tests.listen_support import SUBSCRIPTION_ID, Listener
from tests.task_support import TERMINAL, WITH_TASKS, TaskClient, task_request
from tests.test_subscriptions import Frames, answer_to, line, tagged_with

pytestmark = pytest.mark.anyio

TIMEOUT: Final = 10.0
ACK: Final = "notifications/subscriptions/acknowledged"
TASKS: Final = "notifications/tasks"
MINE: Final = {"x-scopes": ""}  # the identity TaskClient(scopes="") creates tasks as
PARKED: Final = frozenset({"input_required"})


class Confirm(BaseModel):
    ok: bool


def make_server(release: threading.Event, **options: Any) -> MCPServer:
    async def hold() -> str:
        """Wait until the test releases it."""
        # Bounded, so a cancelled wait cannot keep the test process from exiting.
        if not await anyio.to_thread.run_sync(release.wait, 30, abandon_on_cancel=True):
            raise TimeoutError("the test did not release the tool within 30 s")
        return "released"

    def ask(arguments: Arguments[NoArguments]) -> Any:
        """Ask twice, one question per leg."""
        first, second = arguments.elicitation("first"), arguments.elicitation("second")
        if first is None:
            return InputRequired({"first": Elicitation("First?", Confirm)})
        if second is None:
            return InputRequired({"second": Elicitation("Second?", Confirm)})
        return "both answered"

    def quick() -> str:
        return "done"

    return MCPServer(
        name="task-notifications",
        version="1",
        tools=(
            Tool(func=hold, task="optional"),
            Tool(func=ask, task="optional"),
            Tool(func=quick, task="optional"),
        ),
        keepalive_s=0.05,
        **options,
    )


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def url(live: Callable[[Any], Any], release: threading.Event) -> str:
    address: str = live(starlette_app(make_server(release))).url
    return address


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as opened:
        yield opened


def following(
    client: httpx.AsyncClient,
    url: str,
    task_ids: list[str],
    *,
    headers: dict[str, str] = MINE,
    capabilities: dict[str, Any] = WITH_TASKS,
    **switches: bool,
) -> Listener:
    """A listen stream asking for the states of `task_ids` (and any list `switches`)."""
    wanted = {"taskIds": task_ids, **switches}
    return Listener(
        client, url, wanted, request_id="tasks", headers=headers, capabilities=capabilities
    )


async def states(stream: Listener, count: int) -> list[Any]:
    """The params of the next `count` task notifications on `stream`."""
    found = []
    for _ in range(count):
        message = await stream.next_message()
        assert message["method"] == TASKS, message
        assert message["params"]["_meta"] == {SUBSCRIPTION_ID: "tasks"}
        found.append(message["params"])
    return found


async def test_a_listener_gets_its_task_now_then_each_change_as_tasks_get_shows_it(
    client: httpx.AsyncClient, url: str, release: threading.Event
) -> None:
    tasks = TaskClient(client, url, scopes="")
    task_id = await tasks.create("hold")
    with anyio.fail_after(TIMEOUT):
        async with following(client, url, [task_id], toolsListChanged=True) as stream:
            ack = await stream.next_message()
            (now,) = await states(stream, 1)
            release.set()
            (done,) = await states(stream, 1)
    assert ack["method"] == ACK
    # This server sends no list changes (notifications=False): only the task is honoured.
    assert ack["params"]["notifications"] == {"taskIds": [task_id]}
    assert (now["taskId"], now["status"]) == (task_id, "working")
    polled = await tasks.get(task_id)
    assert polled.pop("resultType") == "complete"
    assert {k: v for k, v in done.items() if k != "_meta"} == {
        k: v for k, v in polled.items() if k != "_meta"
    }
    assert done["status"] == "completed"
    assert done["result"]["content"] == [{"type": "text", "text": "released"}]


async def test_a_parked_task_is_followed_through_each_leg_to_its_end(
    client: httpx.AsyncClient, url: str
) -> None:
    tasks = TaskClient(client, url, scopes="")
    task_id = await tasks.create("ask")
    await tasks.wait_for(task_id, PARKED)
    answer = {"action": "accept", "content": {"ok": True}}
    with anyio.fail_after(TIMEOUT):
        async with following(client, url, [task_id]) as stream:
            assert (await stream.next_message())["method"] == ACK
            (first,) = await states(stream, 1)
            await tasks.result(
                "tasks/update", {"taskId": task_id, "inputResponses": {"first": answer}}
            )
            resumed, second = await states(stream, 2)
            await tasks.result(
                "tasks/update", {"taskId": task_id, "inputResponses": {"second": answer}}
            )
            again, done = await states(stream, 2)
    assert (first["status"], list(first["inputRequests"])) == ("input_required", ["first"])
    assert resumed["status"] == again["status"] == "working"
    assert (second["status"], list(second["inputRequests"])) == ("input_required", ["second"])
    assert done["status"] == "completed"
    assert done["result"]["content"][0]["text"] == "both answered"


async def test_a_cancelled_task_is_announced_cancelled(client: httpx.AsyncClient, url: str) -> None:
    tasks = TaskClient(client, url, scopes="")
    task_id = await tasks.create("hold")
    with anyio.fail_after(TIMEOUT):
        async with following(client, url, [task_id]) as stream:
            assert (await stream.next_message())["method"] == ACK
            (working,) = await states(stream, 1)
            await tasks.result("tasks/cancel", {"taskId": task_id})
            (cancelled,) = await states(stream, 1)
    assert working["status"] == "working"
    assert cancelled["status"] == "cancelled"
    assert "result" not in cancelled


async def test_foreign_and_unknown_tasks_are_not_honoured_and_never_told(
    client: httpx.AsyncClient, url: str, release: threading.Event
) -> None:
    mine = TaskClient(client, url, scopes="")
    theirs = TaskClient(client, url, scopes="admin")
    foreign = await theirs.create("hold")
    own = await mine.create("hold")
    parked = await mine.create("ask")
    await mine.wait_for(parked, PARKED)
    asked = [foreign, own, parked, "no-such-task", "x" * 500]
    with anyio.fail_after(TIMEOUT):
        async with (
            following(client, url, asked) as stream,
            following(client, url, [foreign], headers={"x-scopes": "admin"}) as owner,
        ):
            ack = await stream.next_message()
            assert (await owner.next_message())["method"] == ACK
            told = await states(stream, 2)  # own and parked, as they are now
            release.set()
            while (await states(owner, 1))[0]["status"] != "completed":
                pass  # the foreign task's end is published before the cancel below
            await mine.result("tasks/cancel", {"taskId": parked})
            while told[-1]["taskId"] != parked or told[-1]["status"] != "cancelled":
                told += await states(stream, 1)
    assert ack["params"]["notifications"] == {"taskIds": sorted([own, parked])}
    assert {state["taskId"] for state in told} == {own, parked}
    assert [s["status"] for s in told if s["taskId"] == own] == ["working", "completed"]


async def test_task_ids_without_the_extension_are_refused_naming_it(
    client: httpx.AsyncClient, url: str
) -> None:
    task_id = await TaskClient(client, url, scopes="").create("hold")
    with anyio.fail_after(TIMEOUT):
        async with following(client, url, [task_id], capabilities={}) as stream:
            refused = await stream.next_message()
    assert refused["id"] == "tasks"
    assert refused["error"]["code"] == -32021
    assert refused["error"]["data"] == {
        "requiredCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}
    }


@pytest.mark.parametrize("task_ids", ["one", [1, 2], ["t"] * 101])
async def test_malformed_task_ids_are_invalid_params(
    client: httpx.AsyncClient, url: str, task_ids: Any
) -> None:
    with anyio.fail_after(TIMEOUT):
        async with following(client, url, task_ids) as stream:
            refused = await stream.next_message()
    assert refused["error"]["code"] == -32602
    assert "taskIds" in refused["error"]["message"]


async def test_a_task_nobody_listens_to_publishes_nothing(release: threading.Event) -> None:
    server = make_server(release)
    transport = httpx.ASGITransport(app=starlette_app(server))
    async with (
        httpx.AsyncClient(transport=transport) as client,
        server.store.subscribe(CHANNEL) as published,
    ):
        tasks = TaskClient(client, "http://127.0.0.1/mcp", scopes="")
        for tool in ("quick", "ask"):
            task_id = await tasks.create(tool)
            await tasks.wait_for(task_id, TERMINAL | PARKED)
        await tasks.result("tasks/cancel", {"taskId": task_id})
        await server.store.publish(CHANNEL, b"only this")
        with anyio.fail_after(TIMEOUT):
            assert await published.__anext__() == (CHANNEL, b"only this")


async def test_over_stdio_a_listener_follows_its_task_to_the_end(release: threading.Event) -> None:
    server = make_server(release)
    read_end, write_end = os.pipe()
    frames = Frames()

    def send(request_id: int, method: str, params: dict[str, Any]) -> None:
        body, _ = task_request(method, params)
        os.write(write_end, line({**body, "id": request_id}))

    with os.fdopen(read_end, "rb", buffering=0) as stdin, anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(server.serve_stdio, stdin=stdin, stdout=frames))
            send(1, "tools/call", {"name": "hold", "arguments": {}})
            await frames.wait_for(answer_to(1))
            task_id = next(m for m in frames.messages if answer_to(1)(m))["result"]["taskId"]
            send(2, "subscriptions/listen", {"notifications": {"taskIds": [task_id]}})
            await frames.wait_for(tagged_with(2, TASKS))
            release.set()
            await frames.wait_for_count(tagged_with(2, TASKS), 2)
            os.close(write_end)
    ack = next(m for m in frames.messages if tagged_with(2, ACK)(m))
    assert ack["params"]["notifications"] == {"taskIds": [task_id]}
    states = [m["params"]["status"] for m in frames.messages if tagged_with(2, TASKS)(m)]
    assert states == ["working", "completed"]
    assert next(m for m in frames.messages if answer_to(2)(m))["result"]["resultType"] == "complete"
