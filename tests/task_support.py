"""Requests of the 2026-07-28 tasks extension, for the task tests (in-process and replicas)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import anyio
import httpx

from tests.conftest import modern_meta

EXTENSION: Final = "io.modelcontextprotocol/tasks"
WITH_TASKS: Final[dict[str, Any]] = {"extensions": {EXTENSION: {}}, "elicitation": {}}
TERMINAL: Final = frozenset({"completed", "failed", "cancelled"})


def task_request(
    method: str,
    params: Mapping[str, Any],
    capabilities: Mapping[str, Any] | None = WITH_TASKS,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A 2026-07-28 request declaring (by default) the tasks extension, and its headers."""
    body_params = {**params, "_meta": modern_meta(capabilities)}
    headers = {
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": method,
        "accept": "application/json, text/event-stream",
    }
    name = params.get("taskId" if method.startswith("tasks/") else "name")
    if isinstance(name, str):
        headers["mcp-name"] = name
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": body_params}, headers


class TaskClient:
    """Posts task requests to one URL with an httpx client (in-process ASGI or a socket)."""

    def __init__(self, client: httpx.AsyncClient, url: str, scopes: str | None = None) -> None:
        self.client = client
        self.url = url
        self.scopes = scopes

    async def post(
        self,
        method: str,
        params: Mapping[str, Any],
        capabilities: Mapping[str, Any] | None = WITH_TASKS,
        **headers: str,
    ) -> httpx.Response:
        body, routing = task_request(method, params, capabilities)
        if self.scopes is not None:
            routing["x-scopes"] = self.scopes
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        return await self.client.post(self.url, json=body, headers={**routing, **extra})

    async def result(self, method: str, params: Mapping[str, Any], **kwargs: Any) -> Any:
        """The result of a request that must succeed."""
        response = await self.post(method, params, **kwargs)
        body = response.json()
        assert response.status_code == 200, body
        assert "error" not in body, body
        return body["result"]

    async def create(self, tool: str, arguments: Mapping[str, Any] | None = None) -> str:
        """Call a task tool; the id of the task it made."""
        created = await self.result("tools/call", {"name": tool, "arguments": arguments or {}})
        assert created["resultType"] == "task", created
        task_id: str = created["taskId"]
        return task_id

    async def get(self, task_id: str) -> Any:
        return await self.result("tasks/get", {"taskId": task_id})

    async def wait_for(self, task_id: str, statuses: frozenset[str], seconds: float = 10) -> Any:
        """Poll `tasks/get`, as clients do, until the task reaches one of `statuses`."""
        with anyio.fail_after(seconds):
            while True:
                task = await self.get(task_id)
                if task["status"] in statuses:
                    return task
                await anyio.sleep(0.02)  # the protocol's own polling; nothing to await
