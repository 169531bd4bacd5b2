"""Streams of change notifications: `subscriptions/listen` (2026-07-28) and the handshake GET.

At 2026-07-28 a client asks for the changes it wants with `subscriptions/listen`. With the tasks
extension, `taskIds` names tasks to follow: the caller's own are honoured (others are left out
of the acknowledgement, as if they did not exist), their states now are sent right after the
acknowledgement, then each change as `notifications/tasks`.

At the handshake revisions, where a server without sessions remembers no `resources/subscribe`,
the GET stream carries every list change and the updates of every resource the caller may read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from http_mcp._call import Call, method_not_found
from http_mcp._changes import (
    ACKNOWLEDGED,
    LISTS,
    SUBSCRIPTION_ID,
    TASK_STATUS,
    FeedInterruptedError,
    Following,
    Interest,
    tagged,
)
from http_mcp._context import Notify
from http_mcp._resources import find
from http_mcp._tasks import extension_required, negotiated
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, JSONRPCError

MAX_TASK_IDS: Final = 100

if TYPE_CHECKING:  # the registry imports what imports this module: a cycle at run time
    from http_mcp._registry import Registry

_NO_STREAM = (
    "subscriptions/listen is answered with an event stream: "
    "send Accept: application/json, text/event-stream"
)
_UNAVAILABLE = "Change notifications are unavailable: the store cannot be reached; try again later"
_INTERRUPTED = "The change feed was interrupted and changes may have been missed; listen again"


async def listen(call: Call) -> dict[str, Any]:
    """Acknowledge the honoured filter, then forward matching changes until the stream ends."""
    registry = call.registry
    bus = registry.bus
    if bus is None:
        raise method_not_found(call.message.method)
    notify = call.context.notify
    if notify is None:
        raise JSONRPCError(INVALID_REQUEST, _NO_STREAM)
    notifications = call.params.get("notifications")
    interest = Interest.parse(
        notifications, call.scopes, registry.resources, changes=registry.notifying
    )
    task_ids = _task_ids(call, notifications)
    try:
        async with bus.follow() as following:
            states: list[dict[str, Any]] = []
            if registry.tasks is not None and task_ids:
                states = await registry.tasks.watch(call, task_ids)
                followed = frozenset(state["taskId"] for state in states)
                interest = dataclasses.replace(interest, task_ids=followed)
            await notify(ACKNOWLEDGED, tagged({"notifications": interest.honoured()}, call.id))
            for state in states:
                await notify(TASK_STATUS, tagged(state, call.id))
            sent = {state["taskId"]: state for state in states}
            await _forward(following, interest, notify, call.id, sent)
    except StoreUnavailableError:
        raise JSONRPCError(INTERNAL_ERROR, _UNAVAILABLE) from None
    except FeedInterruptedError:
        raise JSONRPCError(INTERNAL_ERROR, _INTERRUPTED) from None
    return {"_meta": {SUBSCRIPTION_ID: call.id}}


def _task_ids(call: Call, notifications: Any) -> list[str]:
    """The `taskIds` asked for, once the client is known to speak the tasks extension.

    A server without task tools offers no extension: it ignores `taskIds`, as any key it
    does not know.

    Raises:
        JSONRPCError: the client did not declare the extension (-32021), or `taskIds` is
            not a list of at most `MAX_TASK_IDS` strings (-32602).
    """
    wanted = notifications.get("taskIds")  # an object: `Interest.parse` checked
    if wanted is None or call.registry.tasks is None:
        return []
    if not negotiated(call):
        raise extension_required("taskIds in subscriptions/listen")
    if not isinstance(wanted, list) or not all(isinstance(task_id, str) for task_id in wanted):
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: taskIds must be a list of task ids")
    if len(wanted) > MAX_TASK_IDS:
        raise JSONRPCError(
            INVALID_PARAMS, f"Invalid params: taskIds names more than {MAX_TASK_IDS} tasks"
        )
    return wanted


async def _forward(
    following: Following,
    interest: Interest,
    notify: Notify,
    sid: Any,
    last_sent: dict[str, dict[str, Any]],
) -> None:
    while not following.ended:
        change = await following.next()
        if change is None or not interest.wants(change):
            continue
        method, params = change.notification()
        if change.task is not None:
            # A change published while the listen began is also in the state sent first.
            if last_sent.get(params["taskId"]) == params:  # pragma: no cover - a race (replicas)
                continue
            last_sent[params["taskId"]] = params
        await notify(method, tagged(params, sid))


async def follow_changes(
    registry: Registry,
    scopes: frozenset[str],
    notify: Notify,
    ready: Callable[[], Awaitable[None]],
) -> None:
    """The handshake GET stream: every list change, and updates of what the caller may read.

    `ready` is awaited once the feed is followed; then changes go to `notify` until the stream
    ends (the server stops, the feed is interrupted, the client leaves).

    Raises:
        StoreUnavailableError: the store could not confirm the subscription (before `ready`).
    """
    bus = registry.bus
    assert bus is not None, "the GET stream is served only with notifications on"

    def readable(uri: str) -> bool:
        return find(registry.resources, uri, scopes) is not None

    interest = Interest(frozenset(LISTS), frozenset(), readable=readable, scopes=scopes)
    async with bus.follow() as following:
        await ready()
        try:
            await _forward(following, interest, notify, None, {})
        except FeedInterruptedError:  # pragma: no cover - only when Redis goes away
            return  # the client reconnects, and re-reads its lists
