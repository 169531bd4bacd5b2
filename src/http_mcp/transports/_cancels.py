"""`notifications/cancelled` at the handshake revisions, for calls a disconnect does not cancel.

With `back_channel=True` a client that disconnects no longer cancels its call, so its
`notifications/cancelled` is what stops it, and that notification may reach another replica
than the one running the call. Each process keeps its running calls by caller, session and
request id; a cancel for a call running elsewhere is published on the store's channel
`CHANNEL`, which every process listens to from its lifespan's start (or its first resumable
stream), so a call that never streams costs no store call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any, Final

from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import RequestId
from http_mcp.stores import Store

logger = logging.getLogger("http_mcp")

CHANNEL: Final = "calls:cancel"
_RETRY_S: Final = 1.0

Key = tuple[str, str]


def call_key(owner: str, session: bytes | None, request_id: RequestId, user: Any) -> Key | None:
    """Who made a call (owner digest and session id) and its JSON-RPC id, as a lookup key.

    `None` for an anonymous caller without a session id: nothing tells two such callers apart
    (their request ids are alike), so a cancel could stop another caller's call. Their calls
    end when they finish, or one stream TTL after their client left.
    """
    if session is None and not getattr(user, "is_authenticated", False):
        return None
    caller = owner if session is None else f"{owner}:{session.decode('latin-1')}"
    return caller, json.dumps(request_id)


class Cancels:
    """The cancellable calls running in this process, and the channel that reaches the others."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._running: dict[Key, Callable[[], None]] = {}
        self._listener: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def running(self, key: Key | None, stop: Callable[[], None]) -> Iterator[None]:
        """While the block runs, a cancel for `key` calls `stop` (`None`: no cancel can)."""
        if key is None:
            yield
            return
        self._running[key] = stop
        try:
            yield
        finally:
            self._running.pop(key, None)

    async def cancel(self, key: Key) -> None:
        """Stop the call `key` names: here, or on the replica running it."""
        stop = self._running.get(key)
        if stop is not None:
            stop()
            return
        message = json.dumps(list(key)).encode()
        try:
            await self._store().publish(CHANNEL, message)
        except StoreUnavailableError:
            logger.warning("a cancel could not be passed on: the store cannot be reached")

    async def listen(self) -> None:
        """Hear the cancels published by other processes, until the store closes.

        Returns once the channel is followed (or could not be: it is tried again).
        """
        if self._listener is None or self._listener.done():
            ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(ready))
            await ready.wait()

    def stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            try:
                async with self._store().subscribe(CHANNEL) as messages:
                    ready.set()
                    async for _, message in messages:
                        # None: the channel was interrupted; a cancel lost then is lost.
                        if message is not None:  # pragma: no branch
                            self._stop(message)
                return  # pragma: no cover - the server stops listening before it closes its store
            except StoreUnavailableError:
                ready.set()
                await asyncio.sleep(_RETRY_S)

    def _stop(self, message: bytes) -> None:
        try:
            caller, request_id = json.loads(message)
        except (ValueError, TypeError):
            return
        stop = self._running.get((str(caller), str(request_id)))
        if stop is not None:
            stop()


def cancelled_request(params: Any) -> RequestId | None:
    """The `requestId` of a `notifications/cancelled`, if it is a valid id."""
    request_id = params.get("requestId") if isinstance(params, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, str | int):
        return None
    return request_id
