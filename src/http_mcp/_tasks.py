"""Tasks (the 2026-07-28 extension `io.modelcontextprotocol/tasks`): records and methods.

A task's record lives in the server's store under `task:{id}`, so any replica answers
`tasks/get`, `tasks/update` and `tasks/cancel`. The run itself happens on the replica that
accepted the call, or took the last answer to a parked task (`_task_runs`). Status changes go
through `Store.update`, which refuses to leave a terminal state.

A task someone listens to (`subscriptions/listen` with `taskIds`) is marked `watched` in its
record; from then on every change to it is also published on the change channel, from whichever
replica makes it. A task nobody listens to costs no more than its record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from http_mcp._call import Call
from http_mcp._changes import CHANNEL, TASK, Change
from http_mcp._input import InputRequired
from http_mcp._task_runs import Runs
from http_mcp._tools import RegisteredTool
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    JSONRPCError,
)
from http_mcp.stores import Store

EXTENSION: Final = "io.modelcontextprotocol/tasks"
TERMINAL: Final = frozenset({"completed", "failed", "cancelled"})
ACK: Final[dict[str, Any]] = {"resultType": "complete"}
_WIRE_FIELDS: Final = (
    "taskId",
    "status",
    "statusMessage",
    "createdAt",
    "lastUpdatedAt",
    "ttlMs",
    "pollIntervalMs",
)
_STORE_DOWN: Final = "Tasks are unavailable: the server cannot reach its task store; try again."
_MAX_ID_LENGTH: Final = 100
REPLICA_LOST: Final = "The server running this task stopped before it finished."

Record = dict[str, Any]


class Tasks:
    """The task records of one server, on the store it is given at each use."""

    def __init__(
        self,
        store: Callable[[], Store],
        *,
        ttl_ms: int,
        poll_interval_ms: int,
        lease_ms: int,
    ) -> None:
        self._store = store
        self.ttl_ms = ttl_ms
        self.poll_interval_ms = poll_interval_ms
        self.runs = Runs(store, lease_ms, self.finish)

    async def start(
        self, call: Call, tool: RegisteredTool, arguments: dict[str, Any]
    ) -> dict[str, Any] | InputRequired | None:
        """A CreateTaskResult for a call to a task tool, or `None`: run it synchronously.

        `before_task` may first ask for input, answered on the request (`InputRequired`).

        Raises:
            JSONRPCError: a `required` tool called without the extension (-32021), or the
                store is down (-32603).
        """
        if not negotiated(call):
            if tool.tool.task == "required":
                raise extension_required(f"Tool {tool.name!r} runs only as a task")
            return None
        asked = await tool.ask_first(arguments, call)
        if asked is not None:
            return asked
        now = _now_ms()
        round_ = call.input_round
        record: Record = {
            "taskId": secrets.token_urlsafe(24),
            "status": "working",
            "createdAt": _iso(now),
            "lastUpdatedAt": _iso(now),
            "ttlMs": self.ttl_ms,
            "pollIntervalMs": self.poll_interval_ms,
            "updatedMs": now,
            "owner": owner_of(call),
            "tool": tool.name,
            "arguments": arguments,
            "answers": dict(round_.responses),
            "state": round_.state,
        }
        try:
            await self.runs.claim(record["taskId"])
            await self._store().put(_key(record["taskId"]), _dump(record), ttl_ms=self.ttl_ms)
        except StoreUnavailableError:
            if tool.tool.task == "required":
                raise JSONRPCError(INTERNAL_ERROR, _STORE_DOWN) from None
            return None
        self.runs.launch(record, tool, call)
        return {"resultType": "task", **wire(record)}

    async def get(self, call: Call) -> dict[str, Any]:
        record = await self._load(call)
        if record["status"] == "working" and await self.runs.lost(record):
            record = await self.finish(  # pragma: no cover - a replica died (replica tests)
                record["taskId"],
                "failed",
                error={"code": INTERNAL_ERROR, "message": REPLICA_LOST},
                message=REPLICA_LOST,
            ) or await self._load(call)
        return detailed(record)

    async def update(self, call: Call) -> dict[str, Any]:
        record = await self._load(call)
        responses = call.params.get("inputResponses", {})
        if not isinstance(responses, dict):
            raise JSONRPCError(INVALID_PARAMS, "Invalid params: inputResponses must be an object")
        if record["status"] != "input_required" or not responses.keys() & record.get(
            "inputRequests", {}
        ):
            return ACK

        def answer(current: Record) -> Record | None:
            outstanding = dict(current.get("inputRequests", {}))
            given = {k: v for k, v in responses.items() if k in outstanding}
            if current["status"] != "input_required" or not given:  # pragma: no cover
                return None  # another update or a cancel came first
            for key in given:
                del outstanding[key]
            current["answers"] = {**current.get("answers", {}), **given}
            current["inputRequests"] = outstanding
            if not outstanding:
                del current["inputRequests"]
                current["status"] = "working"
                current.pop("statusMessage", None)
            return _touched(current)

        updated = await self._change(record["taskId"], answer)
        if updated is not None and updated["status"] == "working":  # pragma: no branch
            tool = call.registry.tools.get(updated["tool"])
            if tool is not None:  # pragma: no branch - else its lease lapses and it fails
                await self.runs.claim(updated["taskId"])
                self.runs.launch(updated, tool, call)
        return ACK

    async def cancel(self, call: Call) -> dict[str, Any]:
        record = await self._load(call)
        if record["status"] in TERMINAL:
            return ACK

        def request_cancel(current: Record) -> Record | None:
            if current["status"] in TERMINAL:  # pragma: no cover - it ended meanwhile
                return None
            if current["status"] == "input_required":
                current.pop("inputRequests", None)
                current["status"] = "cancelled"
                current["statusMessage"] = "Cancelled by the client."
            else:
                current["cancelRequested"] = True
            return _touched(current)

        updated = await self._change(record["taskId"], request_cancel)
        if updated is not None and updated["status"] == "working":
            if await self.runs.lost(updated):  # pragma: no cover - a replica died (replica tests)
                await self.finish(
                    updated["taskId"], "cancelled", message="Cancelled by the client."
                )
            else:
                await self.runs.cancel(updated["taskId"])
        return ACK

    async def finish(
        self,
        task_id: str,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        message: str | None = None,
        parked: InputRequired | None = None,
    ) -> Record | None:
        """Move a working task to `status`; `None` when it had already left `working`."""

        def settle(current: Record) -> Record | None:
            if current["status"] != "working":  # pragma: no cover - settled elsewhere first
                return None
            if current.get("cancelRequested") and status != "failed":
                current["status"] = "cancelled"
                current["statusMessage"] = "Cancelled by the client."
                return _touched(current)
            current["status"] = status
            if message is not None:
                current["statusMessage"] = message
            if result is not None:
                current["result"] = result
            if error is not None:
                current["error"] = error
            if parked is not None:
                current["inputRequests"] = {k: r.to_wire() for k, r in parked.requests.items()}
                current["state"] = parked.state
            return _touched(current)

        return await self._change(task_id, settle)

    async def _change(
        self, task_id: str, change: Callable[[Record], Record | None]
    ) -> Record | None:
        before: list[dict[str, Any]] = []

        def apply(raw: bytes | None) -> bytes | None:
            if raw is None:
                return None
            current = json.loads(raw)
            before[:] = [_shown(current)] if current.get("watched") else []
            changed = change(current)
            return None if changed is None else _dump(changed)

        try:
            outcome = await self._store().update(_key(task_id), apply)
        except StoreUnavailableError:  # pragma: no cover - the replica tests stop Redis
            raise JSONRPCError(INTERNAL_ERROR, _STORE_DOWN) from None
        if not outcome.changed or outcome.value is None:
            return None
        loaded: Record = json.loads(outcome.value)
        # A client is told what it would see change, not a cancel merely asked for.
        if loaded.get("watched") and [_shown(loaded)] != before:
            await self._announce(loaded)
        return loaded

    async def _announce(self, record: Record) -> None:
        """Tell the listeners of a watched task, on every replica, its new state."""
        change = Change(TASK, task=status(record))
        with contextlib.suppress(StoreUnavailableError):  # their streams end: the store is away
            await self._store().publish(CHANNEL, change.encode())

    async def watch(self, call: Call, task_ids: list[str]) -> list[dict[str, Any]]:
        """Mark the caller's tasks among `task_ids` watched; their states now, for the listener.

        Unknown, expired and foreign ids are left out, as if they did not exist. A change made
        after this returns is published (`_change`); one made before is in the state returned.

        Raises:
            StoreUnavailableError: the store could not be reached.
        """
        owner = owner_of(call)

        def mark(current: bytes | None) -> bytes | None:
            if current is None:
                return None
            record = json.loads(current)
            if record.get("watched") or not secrets.compare_digest(record["owner"], owner):
                return None
            return _dump({**record, "watched": True})

        states = []
        for task_id in dict.fromkeys(task_ids):
            if len(task_id) > _MAX_ID_LENGTH:
                continue
            outcome = await self._store().update(_key(task_id), mark)
            record = None if outcome.value is None else json.loads(outcome.value)
            if record is not None and secrets.compare_digest(record["owner"], owner):
                states.append(status(record))
        return states

    async def _load(self, call: Call) -> Record:
        """The caller's task named by `taskId`, after the capability check."""
        if not negotiated(call):
            raise extension_required(f"{call.message.method} needs the tasks extension")
        task_id = call.params.get("taskId")
        if not isinstance(task_id, str):
            raise JSONRPCError(INVALID_PARAMS, "Invalid params: taskId must be a string")
        try:
            raw = await self._store().get(_key(task_id)) if len(task_id) <= _MAX_ID_LENGTH else None
        except StoreUnavailableError:
            raise JSONRPCError(INTERNAL_ERROR, _STORE_DOWN) from None
        record: Record | None = None if raw is None else json.loads(raw)
        if record is None or not secrets.compare_digest(record["owner"], owner_of(call)):
            raise JSONRPCError(INVALID_PARAMS, "Task not found", {"taskId": task_id})
        return record


def negotiated(call: Call) -> bool:
    """Whether this request declares the tasks extension in its client capabilities."""
    extensions = call.client_capabilities.get("extensions")
    return call.modern and isinstance(extensions, dict) and EXTENSION in extensions


def extension_required(what: str) -> JSONRPCError:
    return JSONRPCError(
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        f"{what}: declare the client capability extensions[{EXTENSION!r}]",
        {"requiredCapabilities": {"extensions": {EXTENSION: {}}}},
    )


def owner_of(call: Call) -> str:
    """Who may see a task: a digest of the caller's identity and scopes (or of nobody)."""
    return caller_digest(call.request.scope.get("user"), call.scopes)


def caller_digest(user: Any, scopes: frozenset[str]) -> str:
    """A digest of a caller's identity (a Starlette user) and scopes, to bind ids to it."""
    principal = json.dumps([_identity(user), sorted(scopes)])
    return hashlib.sha256(principal.encode()).hexdigest()


def _identity(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return str(user.display_name)  # a token's subject, else its client id


def wire(record: Record) -> dict[str, Any]:
    return {name: record[name] for name in _WIRE_FIELDS if name in record}


def detailed(record: Record) -> dict[str, Any]:
    """A DetailedTask: the task, and by status its input requests, result or error."""
    result = {"resultType": "complete", **wire(record)}
    status = record["status"]
    if status == "input_required":
        result["inputRequests"] = record.get("inputRequests", {})
    elif status == "completed":
        result["result"] = record["result"]
    elif status == "failed":
        result["error"] = record["error"]
    return result


def status(record: Record) -> dict[str, Any]:
    """What `notifications/tasks` carries: the task as `tasks/get` shows it, but `resultType`."""
    shown = detailed(record)
    del shown["resultType"]
    return shown


def _shown(record: Record) -> dict[str, Any]:
    """What a client sees of a task, but the time of its last update."""
    shown = detailed(record)
    del shown["lastUpdatedAt"]
    return shown


def _touched(record: Record) -> Record:
    now = _now_ms()
    record["lastUpdatedAt"] = _iso(now)
    record["updatedMs"] = now
    return record


def _key(task_id: str) -> str:
    return f"task:{task_id}"


def _dump(record: Record) -> bytes:
    return json.dumps(record, allow_nan=False, separators=(",", ":")).encode()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
