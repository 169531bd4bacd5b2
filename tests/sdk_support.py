"""The tasks extension for the official MCP Python SDK client (`mcp`).

`mcp` 2.3.0 ships no client for the tasks extension, but its public extension API has what one
needs: a `ClientExtension` declares `io.modelcontextprotocol/tasks` on every request, claims the
result shape `resultType: "task"` (resolved by polling `tasks/get`), and receives
`notifications/tasks`, which the core does not define. `tasks/*` requests go through
`ClientSession.send_request` with `Mcp-Name` set from `taskId`.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import anyio
from mcp.client.extension import ClaimContext, ClientExtension, NotificationBinding, ResultClaim
from mcp.client.session import ClientSession
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, NotificationParams, Request, Result
from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

EXTENSION: Final = "io.modelcontextprotocol/tasks"
TERMINAL: Final = frozenset({"completed", "failed", "cancelled"})
TIMEOUT_S: Final = 30.0


class CreatedTask(Result):
    """The `CreateTaskResult` a task tool answers with."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")
    result_type: Literal["task"] = "task"
    task_id: str
    status: str
    poll_interval_ms: int | None = None


class TaskState(Result):
    """A task as `tasks/get` answers it (a DetailedTask)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")
    task_id: str
    status: str
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    input_requests: dict[str, Any] | None = None


class TaskNotice(NotificationParams):
    """What `notifications/tasks` carries: the task as `tasks/get` would answer it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")
    task_id: str
    status: str
    result: dict[str, Any] | None = None


class Answer(Result):
    """Any result, every field kept."""

    model_config = ConfigDict(extra="allow")


class TaskRequest(Request[dict[str, Any], str]):
    """`tasks/get`, `tasks/update` or `tasks/cancel`; the session mirrors `taskId` as `Mcp-Name`."""

    name_param = "taskId"


class Tasks(ClientExtension):
    """The tasks extension: a task result is polled to its end; notices are collected."""

    identifier = EXTENSION

    def __init__(self) -> None:
        self.notices: list[TaskNotice] = []
        self._arrived = anyio.Event()

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=self._resolve)]

    def notifications(self) -> list[NotificationBinding[Any]]:
        return [
            NotificationBinding(
                method="notifications/tasks", params_type=TaskNotice, handler=self._notice
            )
        ]

    async def _notice(self, notice: TaskNotice) -> None:
        self.notices.append(notice)
        self._arrived.set()
        self._arrived = anyio.Event()

    async def notice(self, task_id: str, status: str) -> TaskNotice:
        """The first notice (received so far or next) that `task_id` has `status`."""
        with anyio.fail_after(TIMEOUT_S):
            while True:
                for notice in self.notices:
                    if (notice.task_id, notice.status) == (task_id, status):
                        return notice
                await self._arrived.wait()

    async def _resolve(self, created: CreatedTask, context: ClaimContext) -> CallToolResult:
        state = await wait_for(context.session, created.task_id, TERMINAL)
        if state.status != "completed":
            raise MCPError(-32603, f"task {created.task_id} ended {state.status}")
        return CallToolResult.model_validate(state.result)


async def task_request(
    session: ClientSession, method: str, task_id: str, **params: Any
) -> dict[str, Any]:
    """Send one `tasks/*` request; its result as the server sent it."""
    request = TaskRequest(method=method, params={"taskId": task_id, **params})
    answered = await session.send_request(request, Answer)
    return answered.model_dump(by_alias=True, exclude_none=True)


async def get_task(session: ClientSession, task_id: str) -> TaskState:
    request = TaskRequest(method="tasks/get", params={"taskId": task_id})
    return await session.send_request(request, TaskState)


async def wait_for(session: ClientSession, task_id: str, statuses: frozenset[str]) -> TaskState:
    """Poll `tasks/get`, as a client does, until the task reaches one of `statuses`."""
    with anyio.fail_after(TIMEOUT_S):
        while True:
            state = await get_task(session, task_id)
            if state.status in statuses:
                return state
            await anyio.sleep(0.05)  # the protocol's own polling; nothing to await
