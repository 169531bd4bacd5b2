"""Tasks (the 2026-07-28 extension io.modelcontextprotocol/tasks) on one server, in-process."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp.jsonrpc import INTERNAL_ERROR, JSONRPCError, Request
from http_mcp.stores import MemoryStore, RedisStore
from http_mcp.transports import RequestContext
from http_mcp.types import Arguments, Elicitation, InputRequired, NoArguments, Tool
from tests.conftest import modern_meta, starlette_app
from tests.redis_support import free_port
from tests.task_support import EXTENSION, TERMINAL, WITH_TASKS, TaskClient

pytestmark = pytest.mark.anyio

URL = "http://127.0.0.1/mcp"


class Confirm(BaseModel):
    ok: bool


class Gates:
    """Events the test sets to let a tool go on, and what the tools saw."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.started = anyio.Event()
        self.sync_started = threading.Event()
        self.sync_saw_cancel = threading.Event()


def build(gates: Gates, **options: Any) -> MCPServer:
    async def blocked() -> str:
        """Wait until the test releases it."""
        gates.started.set()
        await gates.release.wait()
        return "released"

    def sync_loop(arguments: Arguments[NoArguments]) -> str:
        """A sync tool that stops when cancelled."""
        gates.sync_started.set()
        while not arguments.cancelled:
            threading.Event().wait(0.01)
        gates.sync_saw_cancel.set()
        return "stopped"

    def ask(arguments: Arguments[NoArguments]) -> Any:
        """Ask twice, once per leg, then report the answers."""
        first, second = arguments.elicitation("first"), arguments.elicitation("second")
        if first is None:
            return InputRequired({"first": Elicitation("First?", Confirm)}, state={"leg": 1})
        if second is None:
            return InputRequired({"second": Elicitation("Second?", Confirm)}, state={"leg": 2})
        return f"{first.content} {second.content} state={arguments.request_state}"

    def both(arguments: Arguments[NoArguments]) -> Any:
        """Ask two questions at once."""
        first, second = arguments.elicitation("first"), arguments.elicitation("second")
        if first is None or second is None:
            asked = {"first": Elicitation("1?", Confirm), "second": Elicitation("2?", Confirm)}
            return InputRequired(asked)
        return "both answered"

    def broken() -> str:
        raise JSONRPCError(INTERNAL_ERROR, "the job could not run")

    def plain() -> str:
        return "plain"

    return MCPServer(
        name="tasks",
        version="1",
        tools=(
            Tool(func=blocked, task="optional"),
            Tool(func=sync_loop, task="optional"),
            Tool(func=ask, task="optional"),
            Tool(func=both, task="optional"),
            Tool(func=broken, task="required"),
            Tool(func=plain),
        ),
        **options,
    )


@pytest.fixture
def gates() -> Gates:
    return Gates()


@pytest.fixture
async def tasks(gates: Gates) -> AsyncIterator[TaskClient]:
    server = build(gates)
    transport = httpx.ASGITransport(app=starlette_app(server))
    async with httpx.AsyncClient(transport=transport) as client:
        yield TaskClient(client, URL, scopes="")
    gates.release.set()


def error_code(response: httpx.Response) -> int:
    assert "Traceback" not in response.text
    code: int = response.json()["error"]["code"]
    return code


async def test_discover_lists_the_extension_only_when_a_tool_runs_as_a_task(
    tasks: TaskClient,
) -> None:
    discovered = await tasks.result("server/discover", {})
    assert discovered["capabilities"]["extensions"] == {EXTENSION: {}}
    assert "tasks" not in discovered["capabilities"]
    plain = MCPServer(name="plain", version="1", tools=(Tool(func=lambda_free),))
    transport = httpx.ASGITransport(app=starlette_app(plain))
    async with httpx.AsyncClient(transport=transport) as client:
        result = await TaskClient(client, URL).result("server/discover", {})
    assert "extensions" not in result["capabilities"]
    assert not plain.needs_shared_store


def lambda_free() -> str:
    return "x"


async def test_a_task_is_created_working_then_completes_with_the_tool_result(
    tasks: TaskClient, gates: Gates
) -> None:
    created = await tasks.result("tools/call", {"name": "blocked", "arguments": {}})
    assert created["resultType"] == "task"
    assert created["status"] == "working"
    assert set(created) == {
        "resultType",
        "taskId",
        "status",
        "createdAt",
        "lastUpdatedAt",
        "ttlMs",
        "pollIntervalMs",
        "_meta",
    }
    assert len(created["taskId"]) >= 32
    working = await tasks.get(created["taskId"])
    assert (working["status"], working["resultType"]) == ("working", "complete")
    assert "result" not in working
    gates.release.set()
    done = await tasks.wait_for(created["taskId"], TERMINAL)
    assert done["status"] == "completed"
    assert done["result"]["content"] == [{"type": "text", "text": "released"}]


async def test_without_the_extension_an_optional_tool_answers_directly(
    tasks: TaskClient,
) -> None:
    result = await tasks.result(
        "tools/call", {"name": "ask", "arguments": {}}, capabilities={"elicitation": {}}
    )
    assert result["resultType"] == "input_required"


async def test_a_required_tool_without_the_extension_names_the_missing_capability(
    tasks: TaskClient,
) -> None:
    response = await tasks.post("tools/call", {"name": "broken", "arguments": {}}, {})
    assert error_code(response) == -32021
    data = response.json()["error"]["data"]
    assert data == {"requiredCapabilities": {"extensions": {EXTENSION: {}}}}


@pytest.mark.parametrize("method", ["tasks/get", "tasks/update", "tasks/cancel"])
async def test_the_capability_is_checked_before_the_task_id(tasks: TaskClient, method: str) -> None:
    response = await tasks.post(method, {"taskId": "no-such-task"}, {})
    assert error_code(response) == -32021


@pytest.mark.parametrize("method", ["tasks/get", "tasks/update", "tasks/cancel"])
async def test_an_unknown_task_and_a_foreign_one_get_the_same_answer(
    tasks: TaskClient, method: str
) -> None:
    task_id = await tasks.create("blocked")
    foreign = TaskClient(tasks.client, URL, scopes="admin")
    unknown = await tasks.post(method, {"taskId": "no-such-task"})
    stolen = await foreign.post(method, {"taskId": task_id})
    assert error_code(unknown) == error_code(stolen) == -32602
    assert unknown.json()["error"]["message"] == stolen.json()["error"]["message"]


async def test_mcp_name_must_repeat_the_task_id(tasks: TaskClient) -> None:
    task_id = await tasks.create("blocked")
    response = await tasks.post("tasks/get", {"taskId": task_id}, WITH_TASKS, mcp_name="other")
    assert error_code(response) == -32020


@pytest.mark.parametrize("method", ["tasks/result", "tasks/list"])
async def test_removed_methods_are_unknown(tasks: TaskClient, method: str) -> None:
    assert error_code(await tasks.post(method, {"taskId": "x"})) == -32601


async def test_a_protocol_error_fails_the_task_with_the_error(tasks: TaskClient) -> None:
    task_id = await tasks.create("broken")
    failed = await tasks.wait_for(task_id, TERMINAL)
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": INTERNAL_ERROR, "message": "the job could not run"}
    assert "result" not in failed


async def test_input_parks_the_task_and_answers_resume_it_leg_by_leg(tasks: TaskClient) -> None:
    task_id = await tasks.create("ask")
    parked = await tasks.wait_for(task_id, frozenset({"input_required"}))
    assert list(parked["inputRequests"]) == ["first"]
    assert parked["inputRequests"]["first"]["method"] == "elicitation/create"
    ignored = await tasks.result(
        "tasks/update", {"taskId": task_id, "inputResponses": {"unknown": {"x": 1}}}
    )
    assert ignored == {"resultType": "complete", "_meta": ignored["_meta"]}
    assert (await tasks.get(task_id))["status"] == "input_required"
    answer = {"action": "accept", "content": {"ok": True}}
    await tasks.result("tasks/update", {"taskId": task_id, "inputResponses": {"first": answer}})
    second = await tasks.wait_for(task_id, frozenset({"input_required"}) | TERMINAL)
    assert list(second["inputRequests"]) == ["second"]
    await tasks.result("tasks/update", {"taskId": task_id, "inputResponses": {"second": answer}})
    done = await tasks.wait_for(task_id, TERMINAL)
    text = done["result"]["content"][0]["text"]
    assert text == "{'ok': True} {'ok': True} state={'leg': 2}"


async def test_cancel_stops_an_async_tool(tasks: TaskClient, gates: Gates) -> None:
    task_id = await tasks.create("blocked")
    with anyio.fail_after(5):
        await gates.started.wait()
    ack = await tasks.result("tasks/cancel", {"taskId": task_id})
    assert set(ack) == {"resultType", "_meta"}
    cancelled = await tasks.wait_for(task_id, TERMINAL)
    assert cancelled["status"] == "cancelled"
    again = await tasks.result("tasks/cancel", {"taskId": task_id})
    assert set(again) == {"resultType", "_meta"}


async def test_cancel_reaches_a_sync_tool_through_its_flag(tasks: TaskClient, gates: Gates) -> None:
    task_id = await tasks.create("sync_loop")
    assert await anyio.to_thread.run_sync(gates.sync_started.wait, 5)
    await tasks.result("tasks/cancel", {"taskId": task_id})
    assert (await tasks.wait_for(task_id, TERMINAL))["status"] == "cancelled"
    assert await anyio.to_thread.run_sync(gates.sync_saw_cancel.wait, 5)


async def test_cancel_of_a_parked_task_is_immediate(tasks: TaskClient) -> None:
    task_id = await tasks.create("ask")
    await tasks.wait_for(task_id, frozenset({"input_required"}))
    await tasks.result("tasks/cancel", {"taskId": task_id})
    assert (await tasks.get(task_id))["status"] == "cancelled"


async def test_a_task_is_gone_after_its_ttl(gates: Gates) -> None:
    server = build(gates, task_ttl_ms=200)
    transport = httpx.ASGITransport(app=starlette_app(server))
    async with httpx.AsyncClient(transport=transport) as client:
        tasks = TaskClient(client, URL)
        task_id = await tasks.create("blocked")
        assert (await tasks.get(task_id))["ttlMs"] == 200
        with anyio.fail_after(5):
            response = await tasks.post("tasks/get", {"taskId": task_id})
            while response.status_code == 200:
                await anyio.sleep(0.02)  # waiting for time to pass: the expiry is the event
                response = await tasks.post("tasks/get", {"taskId": task_id})
        assert error_code(response) == -32602
    gates.release.set()


async def test_with_the_store_down_no_task_is_promised(gates: Gates) -> None:
    unreachable = RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    server = build(gates, store=unreachable)
    transport = httpx.ASGITransport(app=starlette_app(server))
    async with httpx.AsyncClient(transport=transport) as client:
        tasks = TaskClient(client, URL)
        optional = await tasks.result("tools/call", {"name": "ask", "arguments": {}})
        assert optional["resultType"] == "input_required"
        required = await tasks.post("tools/call", {"name": "broken", "arguments": {}})
        assert error_code(required) == -32603
        assert "task store" in required.json()["error"]["message"]
        polled = await tasks.post("tasks/get", {"taskId": "x"})
        assert error_code(polled) == -32603
    await unreachable.aclose()


def test_task_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="task"):
        Tool(func=lambda_free, task="always")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="before_task"):
        Tool(func=lambda_free, before_task=lambda_free)
    with pytest.raises(ValueError, match="task_lease_ms"):
        build(Gates(), task_lease_ms=0)
    assert build(Gates()).needs_shared_store
    assert WITH_TASKS["extensions"] == {EXTENSION: {}}
    assert isinstance(build(Gates()).store, MemoryStore)


async def test_two_servers_sharing_a_store_answer_for_each_others_tasks(gates: Gates) -> None:
    shared = MemoryStore()
    first = build(gates, store=shared, task_lease_ms=30)
    second = build(gates, store=shared, task_lease_ms=30)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=starlette_app(first))) as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=starlette_app(second))) as b,
    ):
        on_a, on_b = TaskClient(a, URL, scopes=""), TaskClient(b, URL, scopes="")
        task_id = await on_a.create("blocked")
        with anyio.fail_after(5):
            await gates.started.wait()
        await anyio.sleep(0.1)  # past a lease: the second server must find it renewed
        assert (await on_b.get(task_id))["status"] == "working"
        await on_b.result("tasks/cancel", {"taskId": task_id})
        assert (await on_b.wait_for(task_id, TERMINAL))["status"] == "cancelled"

        parked = await on_a.create("ask")
        await on_b.wait_for(parked, frozenset({"input_required"}))
        answer = {"action": "accept", "content": {"ok": False}}
        await on_b.result("tasks/update", {"taskId": parked, "inputResponses": {"first": answer}})
        again = await on_a.wait_for(parked, frozenset({"input_required"}))
        assert list(again["inputRequests"]) == ["second"]


async def test_before_task_asks_on_the_request_then_the_task_sees_the_answer() -> None:
    def ask_name(arguments: Arguments[NoArguments]) -> InputRequired | None:
        if arguments.elicitation("name") is None:
            return InputRequired({"name": Elicitation("Name?", Confirm)})
        return None

    def named(arguments: Arguments[NoArguments]) -> str:
        answer = arguments.elicitation("name")
        return f"for {answer.content if answer is not None else None}"

    server = MCPServer(
        name="t",
        version="1",
        tools=(Tool(func=named, task="required", before_task=ask_name),),
    )
    transport = httpx.ASGITransport(app=starlette_app(server))
    async with httpx.AsyncClient(transport=transport) as client:
        tasks = TaskClient(client, URL)
        asked = await tasks.result("tools/call", {"name": "named", "arguments": {}})
        assert asked["resultType"] == "input_required"
        assert "taskId" not in asked
        answers = {"name": {"action": "accept", "content": {"ok": True}}}
        created = await tasks.result(
            "tools/call", {"name": "named", "arguments": {}, "inputResponses": answers}
        )
        assert created["resultType"] == "task"
        assert "requestState" not in created
        done = await tasks.wait_for(created["taskId"], TERMINAL)
        assert done["result"]["content"][0]["text"] == "for {'ok': True}"


async def test_malformed_task_requests_are_invalid_params(tasks: TaskClient) -> None:
    task_id = await tasks.create("ask")
    await tasks.wait_for(task_id, frozenset({"input_required"}))
    bad_answers = await tasks.post("tasks/update", {"taskId": task_id, "inputResponses": [1]})
    assert error_code(bad_answers) == -32602
    running = await tasks.create("blocked")
    ignored = await tasks.result(
        "tasks/update", {"taskId": running, "inputResponses": {"first": {}}}
    )
    assert ignored["resultType"] == "complete"


async def test_a_task_id_that_is_not_a_string_is_invalid_params(gates: Gates) -> None:
    server = build(gates)
    params = {"taskId": 7, "_meta": modern_meta(WITH_TASKS)}
    reply = await server.handle(Request(1, "tasks/get", params), RequestContext())
    assert reply is not None
    assert reply.error_code == -32602


async def test_a_partial_answer_leaves_the_other_request_outstanding(tasks: TaskClient) -> None:
    task_id = await tasks.create("both")
    parked = await tasks.wait_for(task_id, frozenset({"input_required"}))
    assert sorted(parked["inputRequests"]) == ["first", "second"]
    answer = {"action": "accept", "content": {"ok": True}}
    await tasks.result("tasks/update", {"taskId": task_id, "inputResponses": {"first": answer}})
    still = await tasks.get(task_id)
    assert (still["status"], list(still["inputRequests"])) == ("input_required", ["second"])
    await tasks.result("tasks/update", {"taskId": task_id, "inputResponses": {"second": answer}})
    done = await tasks.wait_for(task_id, TERMINAL)
    assert done["result"]["content"][0]["text"] == "both answered"


async def test_tools_added_while_serving_leave_tasks_working(gates: Gates) -> None:
    def later() -> str:
        return "later"

    server = build(gates)
    await server.add(Tool(func=later))
    transport = httpx.ASGITransport(app=starlette_app(server))
    async with httpx.AsyncClient(transport=transport) as client:
        tasks = TaskClient(client, URL, scopes="")
        parked = await tasks.create("ask")
        assert (await tasks.wait_for(parked, frozenset({"input_required"})))["taskId"] == parked
        discovered = await tasks.result("server/discover", {})
    assert discovered["capabilities"]["extensions"] == {EXTENSION: {}}
