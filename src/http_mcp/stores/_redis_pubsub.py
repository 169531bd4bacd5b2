"""One Redis pub/sub connection per store, fanned out to every local `Subscription`.

A reader task owns the connection: it subscribes to what local subscribers want, delivers
messages, pings when the line is quiet (a server that stopped answering is a lost
connection), and after a lost connection reconnects with backoff and subscribes again,
telling each subscriber of a resubscribed channel that it may have missed messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, Final

import anyio
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from http_mcp.exceptions import StoreUnavailableError
from http_mcp.stores._base import Subscription

logger = logging.getLogger("http_mcp")

_POLL_S: Final = 0.05  # how soon a new local subscription reaches Redis
_FIRST_BACKOFF_S: Final = 0.05
_MAX_BACKOFF_S: Final = 1.0
# Any Redis error (a refused SUBSCRIBE too) is retried with backoff and logged, rather than
# ending the reader and leaving subscribers waiting in silence.
_LOST: Final = (redis_errors.RedisError, OSError)


class _SilentError(Exception):
    """Redis did not answer a ping on the subscription connection in time."""


class PubSubHub:
    def __init__(
        self, client: Callable[[], Redis], prefix: str, timeout: float, where: str
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._timeout = timeout
        self._where = where
        self._listeners: dict[str, set[Subscription]] = {}
        self._confirmed: set[str] = set()  # subscribed on the current connection
        self._interrupted: set[str] = set()  # were subscribed when a connection was lost
        self._progress: anyio.Event | None = None  # set when a subscription is confirmed
        self._reader: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def subscribe(self, channels: tuple[str, ...]) -> AsyncIterator[Subscription]:
        subscription = Subscription(channels)
        for channel in channels:
            self._listeners.setdefault(channel, set()).add(subscription)
        try:
            if self._reader is None:
                self._reader = asyncio.get_running_loop().create_task(self._read())
            await self._confirmation(channels)
            yield subscription
        finally:
            subscription._end()
            for channel in channels:
                listeners = self._listeners.get(channel)
                if listeners is not None:
                    listeners.discard(subscription)
                    if not listeners:
                        del self._listeners[channel]

    async def aclose(self) -> None:
        for listeners in self._listeners.values():
            for subscription in listeners:
                subscription._end()
        self._listeners.clear()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with suppress(asyncio.CancelledError):
                await reader

    async def _confirmation(self, channels: tuple[str, ...]) -> None:
        with anyio.move_on_after(self._timeout):
            while not self._confirmed.issuperset(channels):
                await self._changed().wait()
            return
        raise StoreUnavailableError(
            f"Redis at {self._where} did not answer a subscription within {self._timeout} s"
        )

    def _changed(self) -> anyio.Event:
        if self._progress is None:
            self._progress = anyio.Event()
        return self._progress

    def _announce(self) -> None:
        if self._progress is not None:
            self._progress.set()
            self._progress = None

    async def _read(self) -> None:
        backoff = _FIRST_BACKOFF_S
        try:
            while self._listeners:
                pubsub = self._client().pubsub()
                try:
                    await self._serve(pubsub)
                except (*_LOST, _SilentError) as exc:
                    logger.warning(
                        "Redis subscription connection to %s lost, reconnecting: %s",
                        self._where,
                        exc,
                    )
                    self._interrupted |= self._confirmed
                    self._confirmed.clear()
                    await anyio.sleep(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF_S)
                else:
                    backoff = _FIRST_BACKOFF_S
                finally:
                    with anyio.CancelScope(shield=True), suppress(*_LOST):
                        await pubsub.aclose()
        finally:
            self._confirmed.clear()
            self._interrupted.clear()
            if self._reader is asyncio.current_task():
                self._reader = None

    async def _serve(self, pubsub: PubSub) -> None:
        """Follow the local subscribers until none is left; raises when the connection fails."""
        subscribed: set[str] = set()
        quiet_since = anyio.current_time()
        ping_sent: float | None = None
        while True:
            wanted = set(self._listeners)
            if wanted - subscribed:
                await pubsub.subscribe(*(self._prefix + name for name in wanted - subscribed))
            if subscribed - wanted:
                await pubsub.unsubscribe(*(self._prefix + name for name in subscribed - wanted))
                self._confirmed -= subscribed - wanted
            subscribed = wanted
            if not wanted:
                return
            message = await pubsub.get_message(timeout=_POLL_S)
            now = anyio.current_time()
            if message is not None:
                quiet_since, ping_sent = now, None
                self._dispatch(message)
            elif ping_sent is not None and now - ping_sent > self._timeout:
                raise _SilentError(f"no answer to a ping within {self._timeout} s")
            elif ping_sent is None and now - quiet_since > self._timeout:
                await pubsub.ping()
                ping_sent = now

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel = message["channel"]
        if not isinstance(channel, bytes):
            return  # a pong
        name = channel.decode()[len(self._prefix) :]
        if kind == "subscribe":
            if name in self._confirmed or name in self._interrupted:
                # Subscribed again after a reconnect: what was published meanwhile is lost.
                self._interrupted.discard(name)
                for subscription in tuple(self._listeners.get(name, ())):
                    subscription._deliver(name, None)
            self._confirmed.add(name)
            self._announce()
        elif kind == "message":
            for subscription in tuple(self._listeners.get(name, ())):
                subscription._deliver(name, bytes(message["data"]))
