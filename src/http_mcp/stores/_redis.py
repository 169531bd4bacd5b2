"""`RedisStore`: state shared by every process and replica connected to one Redis (7 or newer).

Keys live under `{prefix}kv:`, logs (Redis streams) under `{prefix}log:`, and channels are
`{prefix}{channel}`. Every operation runs under one deadline, the store's `timeout`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import anyio
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from http_mcp.exceptions import StoreError, StoreUnavailableError
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
from http_mcp.stores._redis_pubsub import PubSubHub

T = TypeVar("T")

DEFAULT_URL: Final = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX: Final = "http-mcp:"
DEFAULT_TIMEOUT: Final = 3.0
SCHEMES: Final = ("redis", "rediss", "unix")
_UNAVAILABLE: Final = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    OSError,
)


class RedisStore(Store):
    """Keeps state in Redis, so that every process and replica using it shares it.

    Needs the `redis` extra (`pip install 'http-mcp[redis]'`) and Redis 7 or newer (or a
    server speaking its protocol, such as Valkey). Connections are opened on first use and
    reopened by themselves after Redis comes back.

    Args:
        url: `redis://[[user]:password@]host[:port][/db]`, `rediss://...` for TLS, or
            `unix:///path/to/socket`.
        prefix: Put before every key and channel, so that several applications can share
            one Redis.
        timeout: Seconds within which every operation completes or raises
            `StoreUnavailableError` (a blocking read waits this much longer than asked).

    Example:
        ```python
        server = MCPServer(name="vulns", version="1.0.0",
                           store=RedisStore("redis://redis.internal:6379/0"))
        ```

    Raises:
        ValueError: the URL is not a Redis URL, or `timeout` is not positive.
    """

    shared = True

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ValueError(
                f"RedisStore needs a redis://, rediss:// or unix:// URL, not {parts.scheme}://"
            )
        if parts.query:
            raise ValueError("a Redis store URL takes no query options other than prefix, timeout")
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
        self.prefix = prefix
        self.timeout = timeout
        self._url = url
        self._where = _location(parts)
        self._client: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hub = PubSubHub(self._redis, prefix, timeout, self._where)
        self._turns: dict[str, _Turn] = {}

    def __repr__(self) -> str:
        return f"RedisStore({self._where!r}, prefix={self.prefix!r}, timeout={self.timeout})"

    async def get(self, key: str) -> bytes | None:
        return _optional_bytes(await self._run("GET", lambda redis: redis.get(self._key(key))))

    async def put(self, key: str, value: bytes, *, ttl_ms: int, if_absent: bool = False) -> bool:
        check_ttl(ttl_ms)
        written = await self._run(
            "SET", lambda redis: redis.set(self._key(key), value, px=ttl_ms, nx=if_absent)
        )
        return bool(written)

    async def update(self, key: str, change: Change, *, ttl_ms: int | None = None) -> Updated:
        if ttl_ms is not None:
            check_ttl(ttl_ms)
        name = self._key(key)

        async def transaction(redis: Redis) -> Updated:
            async with self._turn(name), redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(name)
                        current = _optional_bytes(await pipe.get(name))
                        new = change(current)
                        if new is None:
                            return Updated(current, False)
                        if ttl_ms is None and current is None:
                            raise missing_ttl(key)
                        pipe.multi()  # type: ignore[no-untyped-call]
                        if ttl_ms is None:
                            pipe.set(name, new, keepttl=True)
                        else:
                            pipe.set(name, new, px=ttl_ms)
                        await pipe.execute()
                        return Updated(new, True)
                    except redis_errors.WatchError:
                        continue  # another process changed the key first: run `change` again

        return await self._run("update", transaction)

    async def delete(self, key: str) -> bool:
        return bool(await self._run("DEL", lambda redis: redis.delete(self._key(key))))

    async def publish(self, channel: str, message: bytes) -> None:
        await self._run("PUBLISH", lambda redis: redis.publish(self.prefix + channel, message))

    def subscribe(self, *channels: str) -> AbstractAsyncContextManager[Subscription]:
        check_channels(channels)
        self._redis()  # binds the store to this loop before the hub starts its reader
        return self._hub.subscribe(channels)

    async def append(self, log: str, entry: bytes, *, ttl_ms: int, max_len: int = 1000) -> str:
        check_ttl(ttl_ms)
        check_positive("max_len", max_len)
        name = self._log(log)

        async def add(redis: Redis) -> Any:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.xadd(name, {"d": entry}, maxlen=max_len, approximate=False)
                pipe.pexpire(name, ttl_ms)
                return (await pipe.execute())[0]

        return _text(await self._run("XADD", add))

    async def read_after(
        self, log: str, after: str | None, *, limit: int = 100, block_ms: int = 0
    ) -> list[tuple[str, bytes]]:
        entry_number(after)
        check_positive("limit", limit)
        name = self._log(log)
        start = after or "0-0"
        deadline = anyio.current_time() + max(block_ms, 0) / 1000
        while True:
            # Blocks in slices shorter than the timeout, so a lost connection is noticed.
            wait_s = min(deadline - anyio.current_time(), self.timeout / 2)
            block = int(wait_s * 1000) if wait_s >= 0.001 else None

            def read(redis: Redis, block: int | None = block) -> Awaitable[Any]:
                return redis.xread({name: start}, count=limit, block=block)

            found = _entries(await self._run("XREAD", read, extra_s=max(wait_s, 0)))
            if found or block is None:
                return found

    async def aclose(self) -> None:
        await self._hub.aclose()
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            with anyio.CancelScope(shield=True):
                await client.aclose()

    @asynccontextmanager
    async def _turn(self, name: str) -> AsyncIterator[None]:
        """Take turns with this store's other updates of `name`.

        Optimistic transactions retry whenever another writer got in first, so many updaters
        of one key in one process would mostly retry each other; queued here, only one per
        process competes, and the retries stay few however many tasks update the key.
        """
        turn = self._turns.get(name)
        if turn is None:
            turn = self._turns[name] = _Turn(asyncio.Lock())
        turn.waiting += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.waiting -= 1
            if not turn.waiting:
                del self._turns[name]

    def _key(self, key: str) -> str:
        return f"{self.prefix}kv:{key}"

    def _log(self, log: str) -> str:
        return f"{self.prefix}log:{log}"

    def _redis(self) -> Redis:
        loop = asyncio.get_running_loop()
        if self._client is None:
            self._client = Redis.from_url(
                self._url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(ExponentialWithJitterBackoff(cap=self.timeout / 4, base=0.01), 2),
                protocol=2,
            )
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "this RedisStore is in use by another event loop; aclose() it there first"
            )
        return self._client

    async def _run(
        self, what: str, operation: Callable[[Redis], Awaitable[T]], extra_s: float = 0.0
    ) -> T:
        redis = self._redis()
        with anyio.move_on_after(self.timeout + extra_s), self._translated(what):
            return await operation(redis)
        raise StoreUnavailableError(
            f"Redis at {self._where} did not answer {what} within {self.timeout} s"
        )

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(
                f"Redis at {self._where} is unavailable ({what}): {exc}"
            ) from exc
        except redis_errors.RedisError as exc:
            raise StoreError(f"Redis at {self._where} refused {what}: {exc}") from exc


@dataclass
class _Turn:
    lock: asyncio.Lock
    waiting: int = 0


def _location(parts: Any) -> str:
    """Where the server is, for messages: never the credentials."""
    if parts.scheme == "unix":
        return str(parts.path)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"


def _optional_bytes(value: object) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entries(reply: Any) -> list[tuple[str, bytes]]:
    """`(id, entry)` pairs from an XREAD reply (`[[name, [(id, {b"d": entry})]]]`), or none."""
    if not reply:
        return []
    return [(_text(entry_id), fields[b"d"]) for entry_id, fields in reply[0][1]]
