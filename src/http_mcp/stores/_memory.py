"""`MemoryStore`: the in-process store, for one process (HTTP with one worker, or STDIO)."""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Final

import anyio

from http_mcp.stores._base import (
    Change,
    Store,
    Subscription,
    Updated,
    check_channels,
    check_positive,
    check_ttl,
    entry_number,
    missing_ttl,
)

_SWEEP_EVERY_S: Final = 1.0


@dataclass
class _Log:
    entries: deque[tuple[int, bytes]] = field(default_factory=deque)
    last: int = 0
    expires: float = 0.0
    waiters: set[anyio.Event] = field(default_factory=set)


class MemoryStore(Store):
    """Keeps everything in this process's memory: nothing to install, nothing shared.

    The default store. Correct for one process (HTTP with one worker, or STDIO); several
    workers or replicas each get their own, so they need `RedisStore` instead. Expired keys
    are dropped when read and swept about once a second. Operations never wait, except
    `read_after` with `block_ms`.

    Example:
        ```python
        server = MCPServer(name="vulns", version="1.0.0", store=MemoryStore())
        ```
    """

    shared = False

    def __init__(self) -> None:
        self._values: dict[str, tuple[bytes, float]] = {}
        self._deadlines: list[tuple[float, str]] = []
        self._logs: dict[str, _Log] = {}
        # Entry numbers count across all logs, so a log made again after it expired goes on
        # after the ids its readers saw (as Redis's time-based ids do).
        self._entries = 0
        self._channels: dict[str, set[Subscription]] = {}
        self._next_sweep = 0.0
        self._generation = 0  # bumped by aclose(), which ends blocked reads

    async def get(self, key: str) -> bytes | None:
        return self._live(key, time.monotonic())

    async def put(self, key: str, value: bytes, *, ttl_ms: int, if_absent: bool = False) -> bool:
        check_ttl(ttl_ms)
        now = time.monotonic()
        if if_absent and self._live(key, now) is not None:
            return False
        self._write(key, value, now + ttl_ms / 1000, now)
        return True

    async def update(self, key: str, change: Change, *, ttl_ms: int | None = None) -> Updated:
        now = time.monotonic()
        current = self._live(key, now)
        new = change(current)
        if new is None:
            return Updated(current, False)
        if ttl_ms is None:
            if current is None:
                raise missing_ttl(key)
            expires = self._values[key][1]
        else:
            check_ttl(ttl_ms)
            expires = now + ttl_ms / 1000
        self._write(key, new, expires, now)
        return Updated(new, True)

    async def delete(self, key: str) -> bool:
        existed = self._live(key, time.monotonic()) is not None
        self._values.pop(key, None)
        return existed

    async def publish(self, channel: str, message: bytes) -> None:
        for subscription in tuple(self._channels.get(channel, ())):
            subscription._deliver(channel, message)

    @asynccontextmanager
    async def _subscribe(self, channels: tuple[str, ...]) -> AsyncIterator[Subscription]:
        subscription = Subscription(channels)
        for channel in channels:
            self._channels.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscription._end()
            for channel in channels:
                listeners = self._channels.get(channel)
                if listeners is not None:
                    listeners.discard(subscription)
                    if not listeners:
                        del self._channels[channel]

    def subscribe(self, *channels: str) -> AbstractAsyncContextManager[Subscription]:
        check_channels(channels)
        return self._subscribe(channels)

    async def append(self, log: str, entry: bytes, *, ttl_ms: int, max_len: int = 1000) -> str:
        check_ttl(ttl_ms)
        check_positive("max_len", max_len)
        now = time.monotonic()
        state = self._log(log, now)
        if state is None:
            state = self._logs[log] = _Log()
        self._entries += 1
        state.last = self._entries
        state.entries.append((state.last, entry))
        while len(state.entries) > max_len:
            state.entries.popleft()
        state.expires = now + ttl_ms / 1000
        for waiter in state.waiters:
            waiter.set()
        state.waiters.clear()
        self._sweep(now)
        return f"0-{state.last}"

    async def read_after(
        self, log: str, after: str | None, *, limit: int = 100, block_ms: int = 0
    ) -> list[tuple[str, bytes]]:
        last_seen = entry_number(after)
        check_positive("limit", limit)
        found = self._entries_after(log, last_seen, limit)
        if found or block_ms <= 0:
            return found
        generation = self._generation
        with anyio.move_on_after(block_ms / 1000):
            while not found and generation == self._generation:
                waiter = anyio.Event()
                state = self._log(log, time.monotonic())
                if state is None:
                    state = self._logs[log] = _Log(expires=time.monotonic() + block_ms / 1000)
                state.waiters.add(waiter)
                try:
                    await waiter.wait()
                finally:
                    state.waiters.discard(waiter)
                found = self._entries_after(log, last_seen, limit)
        return found

    async def aclose(self) -> None:
        self._generation += 1
        for listeners in tuple(self._channels.values()):
            for subscription in tuple(listeners):
                subscription._end()
        for state in self._logs.values():
            for waiter in state.waiters:
                waiter.set()

    def _entries_after(
        self, log: str, last_seen: tuple[int, int], limit: int
    ) -> list[tuple[str, bytes]]:
        state = self._log(log, time.monotonic())
        if state is None:
            return []
        found: list[tuple[str, bytes]] = []
        for number, entry in state.entries:
            if (0, number) > last_seen:
                found.append((f"0-{number}", entry))
                if len(found) >= limit:
                    break
        return found

    def _live(self, key: str, now: float) -> bytes | None:
        item = self._values.get(key)
        if item is None:
            return None
        if item[1] <= now:
            del self._values[key]
            return None
        return item[0]

    def _log(self, name: str, now: float) -> _Log | None:
        state = self._logs.get(name)
        if state is not None and state.expires <= now and not state.waiters:
            del self._logs[name]
            return None
        return state

    def _write(self, key: str, value: bytes, expires: float, now: float) -> None:
        self._values[key] = (value, expires)
        heapq.heappush(self._deadlines, (expires, key))
        self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Drop expired keys and logs, at most about once a second, in time proportional to them."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_EVERY_S
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            _, key = heapq.heappop(deadlines)
            item = self._values.get(key)
            if item is not None and item[1] <= now:
                del self._values[key]
        if len(deadlines) > 2 * len(self._values) + 64:
            # Rewritten keys leave stale deadlines behind; rebuild rather than let them pile up.
            self._deadlines = [(expires, key) for key, (_, expires) in self._values.items()]
            heapq.heapify(self._deadlines)
        for name in [name for name, state in self._logs.items() if state.expires <= now]:
            self._log(name, now)
