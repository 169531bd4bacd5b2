"""Change notifications: what changed, the bus carrying it between replicas, and listeners.

A change is published once on the store's channel `CHANNEL` and reaches every process that has
a listener open: the store multiplexes one subscription per process, so a replica that nobody
listens to makes no store call at all. Each listener (a `subscriptions/listen` stream) keeps
only the changes it asked for and may see. A task's new state travels the same way (kind
`"task"`), published only for tasks someone listens to (`_tasks`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import anyio

from http_mcp._resources import RegisteredResource, find
from http_mcp.jsonrpc import INVALID_PARAMS, JSONRPCError
from http_mcp.stores import Store, Subscription

CHANNEL: Final = "http-mcp:changes"
SUBSCRIPTION_ID: Final = "io.modelcontextprotocol/subscriptionId"
ACKNOWLEDGED: Final = "notifications/subscriptions/acknowledged"
UPDATED: Final = "notifications/resources/updated"
TASK_STATUS: Final = "notifications/tasks"
RESOURCE: Final = "resource"
TASK: Final = "task"

# The listen filter's switch for each list, and the notification announcing its change.
LISTS: Final = {
    "tools": ("toolsListChanged", "notifications/tools/list_changed"),
    "prompts": ("promptsListChanged", "notifications/prompts/list_changed"),
    "resources": ("resourcesListChanged", "notifications/resources/list_changed"),
}
_SWITCHES: Final = {switch: kind for kind, (switch, _) in LISTS.items()}


@dataclass(frozen=True, slots=True)
class Change:
    """One change: a list, one resource's content, or one task's state.

    Attributes:
        kind: `"tools"`, `"prompts"`, `"resources"`, `"resource"` for a content update, or
            `"task"` for a task's new state.
        uri: The updated resource's URI (kind `"resource"` only).
        task: The task as `tasks/get` shows it now, without `resultType` (kind `"task"` only).
        audience: For a list, who may hear of it: callers holding every scope of one of these
            sets (what changed was hidden from the others); `None`: every caller.
    """

    kind: str
    uri: str | None = None
    task: Mapping[str, Any] | None = field(default=None, compare=False)
    audience: tuple[tuple[str, ...], ...] | None = None

    def heard_by(self, scopes: frozenset[str]) -> bool:
        """Whether a caller with `scopes` may hear of this change."""
        audience = self.audience
        return audience is None or any(scopes.issuperset(needed) for needed in audience)

    def encode(self) -> bytes:
        """The change as the JSON published on the bus."""
        body: dict[str, Any] = {"kind": self.kind}
        if self.uri is not None:
            body["uri"] = self.uri
        if self.task is not None:
            body["task"] = self.task
        if self.audience is not None:
            body["audience"] = self.audience
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()

    @classmethod
    def decode(cls, data: bytes) -> Change | None:
        """The change `encode` wrote, or `None` for anything else found on the channel."""
        try:
            body = json.loads(data)
        except ValueError:
            return None
        kind = body.get("kind") if isinstance(body, dict) else None
        if kind in LISTS:
            audience = body.get("audience")
            if audience is None:
                return cls(kind)
            if not _is_audience(audience):
                return None
            return cls(kind, audience=tuple(tuple(needed) for needed in audience))
        if kind == TASK:
            task = body.get("task")
            valid = isinstance(task, dict) and isinstance(task.get("taskId"), str)
            return cls(TASK, task=task) if valid else None
        uri = body.get("uri") if kind == RESOURCE else None
        return cls(RESOURCE, uri) if isinstance(uri, str) else None

    def notification(self) -> tuple[str, dict[str, Any]]:
        """The notification announcing it: method and params (without `_meta`)."""
        if self.kind == RESOURCE:
            return UPDATED, {"uri": self.uri}
        if self.task is not None:
            return TASK_STATUS, dict(self.task)
        return LISTS[self.kind][1], {}


def _is_audience(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(needed, list) and all(isinstance(scope, str) for scope in needed)
        for needed in value
    )


@dataclass(frozen=True, slots=True)
class Interest:
    """What one listener asked for, cut down to what the server honours for its caller.

    Attributes:
        lists: The lists whose changes it gets (`"tools"`, `"prompts"`, `"resources"`).
        uris: The resources whose updates it gets, all readable by the caller.
        task_ids: The tasks whose states it gets, all the caller's own.
        readable: When given, it also gets the updates of every URI this accepts (the
            handshake revisions' GET stream: every resource the caller may read).
        scopes: The caller's scopes: a list change about items they hide is not told.
    """

    lists: frozenset[str]
    uris: frozenset[str]
    task_ids: frozenset[str] = frozenset()
    readable: Callable[[str], bool] | None = None
    scopes: frozenset[str] = frozenset()

    @classmethod
    def parse(
        cls,
        notifications: Any,
        scopes: frozenset[str],
        resources: Sequence[RegisteredResource],
        *,
        changes: bool = True,
    ) -> Interest:
        """The lists and resources a `subscriptions/listen` request's `notifications` names.

        With `changes` false (the server sends no change notifications) none is honoured.

        Raises:
            JSONRPCError: the filter is not an object, a switch is not a boolean, or
                `resourceSubscriptions` is not a list of strings.
        """
        if not isinstance(notifications, dict):
            raise JSONRPCError(INVALID_PARAMS, "Invalid params: notifications must be an object")
        lists: set[str] = set()
        for switch, kind in _SWITCHES.items():
            value = notifications.get(switch, False)
            if not isinstance(value, bool):
                raise JSONRPCError(INVALID_PARAMS, f"Invalid params: {switch} must be a boolean")
            if value:
                lists.add(kind)
        wanted = notifications.get("resourceSubscriptions", [])
        if not isinstance(wanted, list) or not all(isinstance(uri, str) for uri in wanted):
            raise JSONRPCError(
                INVALID_PARAMS, "Invalid params: resourceSubscriptions must be a list of URIs"
            )
        if not changes:
            return cls(frozenset(), frozenset())
        readable = frozenset(uri for uri in wanted if find(resources, uri, scopes) is not None)
        return cls(frozenset(lists), readable, scopes=scopes)

    def honoured(self) -> dict[str, Any]:
        """The filter as acknowledged: the switches it keeps, the URIs and tasks it follows."""
        filter_: dict[str, Any] = {LISTS[kind][0]: True for kind in sorted(self.lists)}
        if self.uris:
            filter_["resourceSubscriptions"] = sorted(self.uris)
        if self.task_ids:
            filter_["taskIds"] = sorted(self.task_ids)
        return filter_

    def wants(self, change: Change) -> bool:
        """Whether a listener with this interest is told of `change`."""
        if change.kind == RESOURCE:
            if change.uri in self.uris:
                return True
            return self.readable is not None and self.readable(str(change.uri))
        if change.task is not None:
            return change.task["taskId"] in self.task_ids
        return change.kind in self.lists and change.heard_by(self.scopes)


class Bus:
    """Publishes changes on a store and follows them for listeners, in one process.

    Args:
        store: Returns the store to use (the server's, made on first use).
        on_change: Called with every change received (the registry drops its list caches).
    """

    def __init__(self, store: Callable[[], Store], on_change: Callable[[Change], None]) -> None:
        self._store = store
        self._on_change = on_change
        self._open: set[Following] = set()

    async def publish(self, change: Change) -> None:
        """Send `change` to every listener, on every process sharing the store."""
        await self._store().publish(CHANNEL, change.encode())

    @asynccontextmanager
    async def follow(self) -> AsyncIterator[Following]:
        """Follow the changes published from now on, for one listener.

        Raises:
            StoreUnavailableError: the store could not confirm the subscription.
        """
        async with self._store().subscribe(CHANNEL) as subscription:
            following = Following(subscription, self._on_change)
            self._open.add(following)
            try:
                yield following
            finally:
                self._open.discard(following)

    def end_all(self) -> None:
        """End every open listener gracefully (server shutdown, end of STDIO input)."""
        for following in tuple(self._open):
            following.end()


class Following:
    """One listener's view of the bus, from `Bus.follow`."""

    def __init__(self, subscription: Subscription, on_change: Callable[[Change], None]) -> None:
        self._subscription = subscription
        self._on_change = on_change
        self._scope: anyio.CancelScope | None = None
        self.ended = False

    def end(self) -> None:
        """Stop waiting: `next` returns `None` from now on and `ended` is true."""
        self.ended = True
        if self._scope is not None:
            self._scope.cancel()

    async def next(self) -> Change | None:
        """The next change; `None` when `end` interrupts the wait or the store closes.

        Raises:
            FeedInterruptedError: the store lost messages; the listener must start again.
        """
        with anyio.CancelScope() as scope:
            self._scope = scope
            try:
                return await self._receive()
            except StopAsyncIteration:  # the store was closed
                self.ended = True
            finally:
                self._scope = None
        return None

    async def _receive(self) -> Change:
        while True:
            _, message = await self._subscription.__anext__()
            if message is None:
                raise FeedInterruptedError
            change = Change.decode(message)
            if change is not None:
                self._on_change(change)
                return change


class FeedInterruptedError(Exception):
    """The store lost the connection that carried changes: some may have been missed."""


def tagged(params: Mapping[str, Any], subscription_id: Any) -> dict[str, Any]:
    """`params` with the subscription id in its `_meta` (none: `params` as they are)."""
    if subscription_id is None:
        return dict(params)
    return {**params, "_meta": {SUBSCRIPTION_ID: subscription_id}}
