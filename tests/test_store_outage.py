"""Redis going away: every operation fails clearly within its bound, then recovers by itself."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

import anyio
import pytest
from redis.asyncio import Redis

from http_mcp.exceptions import StoreError, StoreUnavailableError
from http_mcp.stores import RedisStore, Store
from tests.redis_support import RedisServer, free_port

pytestmark = pytest.mark.anyio

TIMEOUT_S: Final = 1.0
# An operation may take its timeout plus a blocking read's wait; this bounds the test, and is
# no measurement of speed.
BOUND_S: Final = TIMEOUT_S * 3 + 2
RECOVERY_S: Final = 20.0  # a subscription reconnects with a backoff of at most a second
LONG_MS: Final = 60_000

Operation = Callable[[Store], Awaitable[object]]


async def _subscribe(store: Store) -> None:
    async with store.subscribe("c"):
        pass


OPERATIONS: Final[dict[str, Operation]] = {
    "get": lambda store: store.get("k"),
    "put": lambda store: store.put("k", b"v", ttl_ms=LONG_MS),
    "update": lambda store: store.update("k", lambda current: b"v", ttl_ms=LONG_MS),
    "delete": lambda store: store.delete("k"),
    "publish": lambda store: store.publish("c", b"m"),
    "subscribe": _subscribe,
    "append": lambda store: store.append("log", b"e", ttl_ms=LONG_MS),
    "read_after": lambda store: store.read_after("log", None, block_ms=500),
}


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    store = RedisStore(redis_server.url, prefix="outage:", timeout=TIMEOUT_S)
    yield store
    await store.aclose()


async def unavailable(operation: Operation, store: Store) -> StoreUnavailableError:
    with anyio.fail_after(BOUND_S), pytest.raises(StoreUnavailableError) as raised:
        await operation(store)
    return raised.value


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_every_operation_fails_clearly_while_redis_is_stopped_then_recovers(
    store: RedisStore, redis_server: RedisServer, name: str
) -> None:
    operation = OPERATIONS[name]
    await store.put("k", b"before", ttl_ms=LONG_MS)
    redis_server.stop()
    error = await unavailable(operation, store)
    assert f"127.0.0.1:{redis_server.port}" in str(error)
    assert isinstance(error, StoreError)
    redis_server.start()
    with anyio.fail_after(BOUND_S):
        await operation(store)  # the very next call reconnects by itself


@pytest.mark.parametrize("name", ["get", "update", "append", "read_after", "subscribe"])
async def test_a_frozen_redis_is_an_error_within_the_timeout_not_a_hang(
    store: RedisStore, redis_server: RedisServer, name: str
) -> None:
    await store.get("warm up: a pooled connection exists")
    redis_server.pause()
    try:
        error = await unavailable(OPERATIONS[name], store)
    finally:
        redis_server.resume()
    assert "did not answer" in str(error) or "unavailable" in str(error)
    with anyio.fail_after(BOUND_S):
        await OPERATIONS[name](store)


async def test_a_redis_that_is_not_there_is_reported_without_the_password() -> None:
    port = free_port()
    store = RedisStore(f"redis://:s3cret-pass@127.0.0.1:{port}/0", timeout=TIMEOUT_S)
    try:
        error = await unavailable(OPERATIONS["put"], store)
    finally:
        await store.aclose()
    assert f"127.0.0.1:{port}" in str(error)
    assert "s3cret-pass" not in str(error)
    assert "s3cret-pass" not in repr(store)


async def test_subscriptions_resume_after_a_restart_and_say_what_may_be_lost(
    redis_server: RedisServer,
) -> None:
    listener = RedisStore(redis_server.url, timeout=TIMEOUT_S)
    speaker = RedisStore(redis_server.url, timeout=TIMEOUT_S)
    try:
        async with listener.subscribe("changes", "quiet") as subscription:
            await speaker.publish("changes", b"before")
            with anyio.fail_after(BOUND_S):
                assert await subscription.__anext__() == ("changes", b"before")
            redis_server.stop()
            redis_server.start()
            with anyio.fail_after(RECOVERY_S):
                interrupted = {await subscription.__anext__(), await subscription.__anext__()}
            assert interrupted == {("changes", None), ("quiet", None)}
            await speaker.publish("changes", b"after")
            with anyio.fail_after(BOUND_S):
                assert await subscription.__anext__() == ("changes", b"after")
    finally:
        await listener.aclose()
        await speaker.aclose()


class _Noticed(logging.Handler):
    """Sets `event` when the store logs that it lost its subscription connection."""

    def __init__(self, event: anyio.Event) -> None:
        super().__init__(logging.WARNING)
        self.event = event

    def emit(self, record: logging.LogRecord) -> None:
        if "Redis subscription connection to" in record.getMessage():
            self.event.set()


async def test_a_subscription_survives_a_frozen_redis(redis_server: RedisServer) -> None:
    listener = RedisStore(redis_server.url, timeout=TIMEOUT_S)
    speaker = RedisStore(redis_server.url, timeout=TIMEOUT_S)
    lost = anyio.Event()
    noticed = _Noticed(lost)
    logging.getLogger("http_mcp").addHandler(noticed)
    try:
        async with listener.subscribe("changes") as subscription:
            redis_server.pause()
            try:
                # The listener's ping goes unanswered: it gives the connection up.
                with anyio.fail_after(RECOVERY_S):
                    await lost.wait()
            finally:
                redis_server.resume()
            with anyio.fail_after(RECOVERY_S):
                assert await subscription.__anext__() == ("changes", None)
            await speaker.publish("changes", b"after")
            with anyio.fail_after(BOUND_S):
                assert await subscription.__anext__() == ("changes", b"after")
    finally:
        logging.getLogger("http_mcp").removeHandler(noticed)
        await listener.aclose()
        await speaker.aclose()


async def test_a_subscription_redis_refuses_is_a_clear_error_and_spares_the_others(
    redis_server: RedisServer,
) -> None:
    admin = Redis.from_url(redis_server.url)
    try:
        await admin.acl_setuser(
            "limited",
            enabled=True,
            passwords=["+pw"],
            keys=["*"],
            channels=["app:open*"],
            reset_channels=True,
            categories=["+@all"],
        )
    finally:
        await admin.aclose()
    store = RedisStore(
        f"redis://limited:pw@127.0.0.1:{redis_server.port}/0", prefix="app:", timeout=TIMEOUT_S
    )
    try:
        async with store.subscribe("open") as subscription:
            denied = await unavailable(_subscribe_to_closed, store)
            assert "did not answer a subscription" in str(denied)
            with pytest.raises(StoreError, match="refused PUBLISH") as refused:
                await store.publish("closed", b"x")
            assert not isinstance(refused.value, StoreUnavailableError)
            with anyio.fail_after(RECOVERY_S):
                # The refusal cost the shared connection a reconnect, and the open channel says so.
                assert await subscription.__anext__() == ("open", None)
            await store.publish("open", b"still served")
            with anyio.fail_after(BOUND_S):
                assert await subscription.__anext__() == ("open", b"still served")
    finally:
        await store.aclose()


async def _subscribe_to_closed(store: Store) -> None:
    async with store.subscribe("closed"):
        pass
