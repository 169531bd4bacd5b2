"""The `Store` interface, the `Subscription` both stores hand out, and shared checks."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import ClassVar, Final, NamedTuple

import anyio

DEFAULT_MAX_PENDING: Final = 10_000
_ENTRY_ID: Final = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")

Change = Callable[[bytes | None], bytes | None]


class Updated(NamedTuple):
    """What `Store.update` did: the value the key holds afterwards, and whether it changed."""

    value: bytes | None
    changed: bool


class Store(ABC):
    """What outlives a request: keys with expiry, publish/subscribe and append-only logs.

    Values are bytes (JSON, typically). Keys, channels and log names are strings in three
    separate namespaces. Every key and log expires: writes name a time to live.

    An operation either completes or raises `http_mcp.exceptions.StoreUnavailableError` within the
    store's timeout; it never hangs. A store reconnects by itself when its backend returns, and
    its subscriptions subscribe again. Use a store from one event loop at a time; after
    `aclose()` it may be used again (from another loop too).
    """

    shared: ClassVar[bool] = False
    """Whether several processes see the same data (so `--workers N` may use it)."""

    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The value of `key`, or `None` when it is absent or expired."""

    @abstractmethod
    async def put(self, key: str, value: bytes, *, ttl_ms: int, if_absent: bool = False) -> bool:
        """Set `key` to `value`, expiring `ttl_ms` milliseconds from now.

        Args:
            key: The key.
            value: The value.
            ttl_ms: Time to live, in milliseconds (positive).
            if_absent: Write only when the key is absent (create-if-absent, or a lease).

        Returns:
            Whether the value was written (always `True` without `if_absent`). Once this
            returns, every later `get` from any process sharing the store sees the value.
        """

    @abstractmethod
    async def update(self, key: str, change: Change, *, ttl_ms: int | None = None) -> Updated:
        """Atomically replace the value of `key` with `change(current)`.

        `change` receives the current value (`None` when absent) and returns the new value,
        or `None` to leave the key as it is (a refused transition). It must be a pure,
        quick function: it may run more than once when another process changes the key at the
        same moment, and only its last run counts. An exception it raises propagates and
        nothing is written.

        Args:
            key: The key.
            change: Computes the new value from the current one.
            ttl_ms: The new time to live in milliseconds; `None` keeps the key's current
                expiry (a key created by `change` then needs one: `ValueError`).

        Returns:
            `Updated(value, changed)`: the value the key holds afterwards and whether
            `change` replaced it.
        """

    @abstractmethod
    async def delete(self, key: str) -> bool:
        """Remove `key`; whether it existed."""

    @abstractmethod
    async def publish(self, channel: str, message: bytes) -> None:
        """Send `message` to every current subscriber of `channel`, in every process.

        Fire and forget: nobody subscribed means nobody receives it, and a message published
        while a subscriber is disconnected from the store is lost (the subscriber is told).
        """

    @abstractmethod
    def subscribe(self, *channels: str) -> AbstractAsyncContextManager[Subscription]:
        """Listen to `channels` for the duration of an `async with` block.

        Once the block is entered, every message published afterwards on one of the channels,
        by any process, is delivered. Iterating the `Subscription` yields `(channel, message)`;
        a message of `None` means the subscription was interrupted (the connection to the
        store was lost, or the reader fell behind) and messages on that channel may have been
        missed: resynchronise. Iteration ends when the store is closed.

        Raises:
            StoreUnavailableError: entering the block, when the store cannot confirm the
                subscription within its timeout.
        """

    @abstractmethod
    async def append(self, log: str, entry: bytes, *, ttl_ms: int, max_len: int = 1000) -> str:
        """Add `entry` at the end of `log`; its id (`"<int>-<int>"`, increasing within a log).

        Args:
            log: The log's name.
            entry: The entry.
            ttl_ms: The whole log expires this long after its last append.
            max_len: Only the newest `max_len` entries are kept.
        """

    @abstractmethod
    async def read_after(
        self, log: str, after: str | None, *, limit: int = 100, block_ms: int = 0
    ) -> list[tuple[str, bytes]]:
        """The entries of `log` after the one with id `after` (`None`: from the start).

        Args:
            log: The log's name.
            after: The id of the last entry already seen, or `None`.
            limit: At most this many entries, oldest first.
            block_ms: When there are none yet, wait up to this long for one (0: do not wait).

        Returns:
            `(id, entry)` pairs, oldest first; empty when the log is missing or expired or
            nothing came in time.

        Raises:
            ValueError: `after` is not an entry id.
        """

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections and end every open subscription. Calling it again is harmless."""


class Subscription:
    """The messages a `Store.subscribe` block receives; iterate it from one task.

    `channels` names what it listens to. Iteration yields `(channel, message)` pairs, where a
    `None` message marks an interruption on that channel, and ends when the store closes.
    """

    def __init__(self, channels: tuple[str, ...], max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.channels = channels
        self._max_pending = max_pending
        self._pending: deque[tuple[str, bytes | None]] = deque()
        self._wakeup: anyio.Event | None = None
        self._ended = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[str, bytes | None]:
        while not self._pending:
            if self._ended:
                raise StopAsyncIteration
            self._wakeup = anyio.Event()
            await self._wakeup.wait()
        return self._pending.popleft()

    def _deliver(self, channel: str, message: bytes | None) -> None:
        if self._ended:
            return
        if len(self._pending) >= self._max_pending:
            # A reader this far behind is told to resynchronise rather than fed stale news.
            self._pending.clear()
            self._pending.extend((name, None) for name in self.channels if name != channel)
            message = None
        self._pending.append((channel, message))
        self._wake()

    def _end(self) -> None:
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()
            self._wakeup = None


def check_ttl(ttl_ms: int) -> None:
    if ttl_ms < 1:
        raise ValueError(f"ttl_ms must be a positive number of milliseconds, got {ttl_ms}")


def check_positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, got {value}")


def check_channels(channels: tuple[str, ...]) -> None:
    if not channels:
        raise ValueError("subscribe() needs at least one channel")


def entry_number(entry_id: str | None) -> tuple[int, int]:
    """The ordered numbers of a log entry id; `(0, 0)` for `None`, before every entry."""
    if entry_id is None:
        return (0, 0)
    if not _ENTRY_ID.fullmatch(entry_id):
        raise ValueError(f"{entry_id[:40]!r} is not a log entry id (like '1700000000000-0')")
    first, _, second = entry_id.partition("-")
    return (int(first), int(second))


def missing_ttl(key: str) -> ValueError:
    return ValueError(f"update() created {key!r}, which needs a ttl_ms")
