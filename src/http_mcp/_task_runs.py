"""Running tasks on the replica that holds them: leases, cancellation, the outcome stored.

While a task runs, its replica keeps the key `task:{id}:lease` alive; a task found `working`
with no lease (and not touched for a lease's length) lost its replica. A cancel reaches the
running replica on the store's channel `tasks:cancel`, and each lease refresh also reads
the record, so a cancel published while the channel was away is seen within a refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from http_mcp._call import Call
from http_mcp._channel import CancelFlag
from http_mcp._context import RequestContext
from http_mcp._input import InputRequired, InputRound
from http_mcp._tools import RegisteredTool
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import JSONRPCError, Request
from http_mcp.stores import Store

logger = logging.getLogger("http_mcp")

CANCEL_CHANNEL: Final = "tasks:cancel"
_RETRY_S: Final = 1.0


class Finish(Protocol):
    def __call__(
        self,
        task_id: str,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        message: str | None = None,
        parked: InputRequired | None = None,
    ) -> Awaitable[Any]: ...


@dataclass(slots=True, eq=False)
class Running:
    job: asyncio.Task[None]
    flag: CancelFlag


class Runs:
    """The tasks running in this process, and their leases."""

    def __init__(self, store: Callable[[], Store], lease_ms: int, finish: Finish) -> None:
        self._store = store
        self.lease_ms = lease_ms
        self._finish = finish
        self._running: dict[str, Running] = {}
        self._listener: asyncio.Task[None] | None = None

    async def claim(self, task_id: str) -> None:
        """Take the lease of a task about to run here (before anyone can see it working)."""
        await self._store().put(lease_key(task_id), b"1", ttl_ms=self.lease_ms)

    def launch(self, record: dict[str, Any], tool: RegisteredTool, call: Call) -> None:
        """Run one leg of the task's tool in the background, with its answers so far."""
        task_id = record["taskId"]
        flag = CancelFlag()
        run_call = _task_call(call, record, flag)
        job = asyncio.create_task(self._run(task_id, tool, record["arguments"], run_call))
        self._running[task_id] = Running(job, flag)
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen())

    async def lost(self, record: dict[str, Any]) -> bool:
        """Whether a `working` task's replica is gone: no lease, not touched for a lease."""
        task_id = record["taskId"]
        if task_id in self._running:
            return False
        if time.time() * 1000 - record.get("updatedMs", 0) < self.lease_ms:
            return False
        try:
            return await self._store().get(lease_key(task_id)) is None
        except StoreUnavailableError:  # pragma: no cover - the replica tests stop Redis
            return False

    async def cancel(self, task_id: str) -> None:
        """Stop a task here, or tell the replica running it."""
        if self._stop(task_id):
            return
        with contextlib.suppress(StoreUnavailableError):
            await self._store().publish(CANCEL_CHANNEL, task_id.encode())

    def _stop(self, task_id: str) -> bool:
        running = self._running.get(task_id)
        if running is None:
            return False
        running.flag.set()
        running.job.cancel()
        return True

    async def _run(
        self, task_id: str, tool: RegisteredTool, arguments: dict[str, Any], call: Call
    ) -> None:
        keeper = asyncio.create_task(self._keep_lease(task_id))
        try:
            await self._settle(task_id, tool, arguments, call)
        except JSONRPCError as exc:  # pragma: no cover - the store went away (replica tests)
            logger.error("task %s: its outcome could not be stored: %s", task_id, exc.message)
        finally:
            keeper.cancel()
            self._running.pop(task_id, None)
            with contextlib.suppress(StoreUnavailableError):
                await self._store().delete(lease_key(task_id))

    async def _settle(
        self, task_id: str, tool: RegisteredTool, arguments: dict[str, Any], call: Call
    ) -> None:
        try:
            outcome = await tool.call(arguments, call)
        except asyncio.CancelledError:
            await self._finish(task_id, "cancelled", message="Cancelled by the client.")
            return
        except JSONRPCError as exc:
            error = {"code": exc.code, "message": exc.message}
            await self._finish(task_id, "failed", error=error, message=exc.message)
            return
        if isinstance(outcome, InputRequired):
            message = "Waiting for input from the client."
            await self._finish(task_id, "input_required", message=message, parked=outcome)
        else:
            await self._finish(task_id, "completed", result=outcome)

    async def _keep_lease(self, task_id: str) -> None:
        store = self._store()
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                await store.put(lease_key(task_id), b"1", ttl_ms=self.lease_ms)
                raw = await store.get(f"task:{task_id}")
            except StoreUnavailableError:  # pragma: no cover - the replica tests stop Redis
                continue
            if raw is not None and json.loads(raw).get("cancelRequested"):
                self._stop(task_id)  # pragma: no cover - only when the cancel message was lost

    async def _listen(self) -> None:
        """Stop the tasks named on the cancel channel, until the store is closed."""
        while True:
            try:
                async with self._store().subscribe(CANCEL_CHANNEL) as messages:
                    async for _, message in messages:
                        # None: the channel was interrupted; lease renewals read the record.
                        if message is not None:  # pragma: no branch
                            self._stop(message.decode(errors="replace"))
                return
            except StoreUnavailableError:  # pragma: no cover - the replica tests stop Redis
                await asyncio.sleep(_RETRY_S)


def lease_key(task_id: str) -> str:
    return f"task:{task_id}:lease"


def _task_call(call: Call, record: dict[str, Any], flag: CancelFlag) -> Call:
    """The call a task's tool sees: the caller's request and scopes, no notifications."""
    message = Request(
        call.id, "tools/call", {"name": record["tool"], "arguments": record["arguments"]}
    )
    context = RequestContext(
        request=call.context.request, scopes=call.scopes, headers=None, cancelled=flag
    )
    run_call = Call(
        message,
        context,
        call.method,
        call.registry,
        call.version,
        call.modern,
        call.client_capabilities,
        call.client_info,
    )
    # The answers come from the record, not from request params.
    run_call._input_round = InputRound(
        record.get("answers", {}), record.get("state"), call.client_capabilities
    )
    return run_call
