"""The store contract, run against `MemoryStore` and `RedisStore` (a real redis-server).

`replica` is a second handle on the same data: for Redis another `RedisStore` (a second
process's client, with its own connections), for the in-process store the same object.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Final

import anyio
import pytest

from http_mcp.stores import MemoryStore, RedisStore, Store, Subscription, Updated

pytestmark = pytest.mark.anyio

BOUND_S: Final = 10.0
LONG_MS: Final = 60_000


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Store]]:
    """Factory: each call gives a handle on one test's store (a new client, for Redis)."""
    made: list[Store] = []
    if request.param == "memory":
        memory = MemoryStore()

        def make() -> Store:
            return memory

    else:
        url = request.getfixturevalue("redis_url")
        prefix = f"test-{secrets.token_hex(6)}:"

        def make() -> Store:
            return RedisStore(url, prefix=prefix, timeout=5.0)

    def tracked() -> Store:
        store = make()
        made.append(store)
        return store

    yield tracked
    for store in made:
        await store.aclose()


@pytest.fixture
def store(stores: Callable[[], Store]) -> Store:
    return stores()


@pytest.fixture
def replica(stores: Callable[[], Store]) -> Store:
    return stores()


async def next_message(subscription: Subscription) -> tuple[str, bytes | None]:
    with anyio.fail_after(BOUND_S):
        return await subscription.__anext__()


async def past_expiry(ttl_ms: int) -> None:
    """Let a time to live run out: time passing is the event, so this one sleep is real."""
    await anyio.sleep(ttl_ms / 1000 * 2 + 0.05)


# -- keys --------------------------------------------------------------------------------------


async def test_a_missing_key_reads_as_none(store: Store) -> None:
    assert await store.get("nothing here") is None


async def test_a_value_put_is_read_back_by_every_replica(store: Store, replica: Store) -> None:
    assert await store.put("k", b"\x00value\xff", ttl_ms=LONG_MS) is True
    assert await store.get("k") == b"\x00value\xff"
    assert await replica.get("k") == b"\x00value\xff"


async def test_put_overwrites_unless_asked_to_create_only(store: Store, replica: Store) -> None:
    assert await store.put("k", b"one", ttl_ms=LONG_MS, if_absent=True) is True
    assert await replica.put("k", b"two", ttl_ms=LONG_MS, if_absent=True) is False
    assert await store.get("k") == b"one"
    assert await replica.put("k", b"three", ttl_ms=LONG_MS) is True
    assert await store.get("k") == b"three"


async def test_only_one_of_many_concurrent_creators_wins(store: Store, replica: Store) -> None:
    winners: list[int] = []

    async def create(n: int) -> None:
        handle = store if n % 2 else replica
        if await handle.put("lease", str(n).encode(), ttl_ms=LONG_MS, if_absent=True):
            winners.append(n)

    with anyio.fail_after(BOUND_S):
        async with anyio.create_task_group() as group:
            for n in range(20):
                group.start_soon(create, n)
    assert len(winners) == 1
    assert await store.get("lease") == str(winners[0]).encode()


async def test_a_key_expires_after_its_time_to_live(store: Store) -> None:
    # Long enough that a loaded machine still reads the key before it expires.
    await store.put("short", b"v", ttl_ms=400)
    await store.put("long", b"v", ttl_ms=LONG_MS)
    assert await store.get("short") == b"v"
    await past_expiry(400)
    assert await store.get("short") is None
    assert await store.get("long") == b"v"
    assert await store.put("short", b"again", ttl_ms=LONG_MS, if_absent=True) is True


async def test_a_lease_is_refreshed_by_putting_it_again(store: Store) -> None:
    assert await store.put("lease", b"me", ttl_ms=50, if_absent=True)
    await store.put("lease", b"me", ttl_ms=LONG_MS)
    await past_expiry(50)
    assert await store.get("lease") == b"me"


async def test_delete_says_whether_the_key_existed(store: Store, replica: Store) -> None:
    await store.put("k", b"v", ttl_ms=LONG_MS)
    assert await replica.delete("k") is True
    assert await store.get("k") is None
    assert await store.delete("k") is False


@pytest.mark.parametrize("ttl_ms", [0, -5])
async def test_a_time_to_live_must_be_positive(store: Store, ttl_ms: int) -> None:
    with pytest.raises(ValueError, match="ttl_ms"):
        await store.put("k", b"v", ttl_ms=ttl_ms)
    with pytest.raises(ValueError, match="ttl_ms"):
        await store.update("k", lambda _: b"v", ttl_ms=ttl_ms)
    with pytest.raises(ValueError, match="ttl_ms"):
        await store.append("log", b"v", ttl_ms=ttl_ms)
    assert await store.get("k") is None


# -- update ------------------------------------------------------------------------------------


async def test_update_creates_replaces_and_reports_the_result(store: Store) -> None:
    created = await store.update(
        "k", lambda current: b"1" if current is None else None, ttl_ms=LONG_MS
    )
    assert created == Updated(b"1", True)
    replaced = await store.update("k", lambda current: (current or b"") + b"2")
    assert replaced == Updated(b"12", True)
    assert await store.get("k") == b"12"


async def test_update_may_refuse_and_leaves_the_value_alone(store: Store) -> None:
    await store.put("task", b"completed", ttl_ms=LONG_MS)

    def cancel(current: bytes | None) -> bytes | None:
        return None if current == b"completed" else b"cancelled"

    assert await store.update("task", cancel) == Updated(b"completed", False)
    assert await store.update("absent", lambda _: None) == Updated(None, False)
    assert await store.get("task") == b"completed"
    assert await store.get("absent") is None


async def test_an_exception_in_the_change_propagates_and_writes_nothing(store: Store) -> None:
    await store.put("k", b"before", ttl_ms=LONG_MS)

    def broken(current: bytes | None) -> bytes | None:
        raise LookupError("no such transition")

    with pytest.raises(LookupError, match="no such transition"):
        await store.update("k", broken)
    assert await store.get("k") == b"before"


async def test_update_keeps_the_expiry_unless_given_a_new_one(store: Store) -> None:
    await store.put("short", b"v", ttl_ms=100)
    await store.update("short", lambda current: b"changed")
    await store.put("renewed", b"v", ttl_ms=100)
    await store.update("renewed", lambda current: b"changed", ttl_ms=LONG_MS)
    assert await store.get("short") == b"changed"
    await past_expiry(100)
    assert await store.get("short") is None
    assert await store.get("renewed") == b"changed"


async def test_update_creating_a_key_needs_a_time_to_live(store: Store) -> None:
    with pytest.raises(ValueError, match="needs a ttl_ms"):
        await store.update("new", lambda current: b"v")
    assert await store.get("new") is None


async def test_concurrent_updates_from_several_replicas_lose_nothing(
    stores: Callable[[], Store],
) -> None:
    handles = [stores() for _ in range(3)]
    await handles[0].put("counter", b"0", ttl_ms=LONG_MS)

    def increment(current: bytes | None) -> bytes:
        return str(int(current or b"0") + 1).encode()

    async def bump(n: int) -> None:
        await handles[n % len(handles)].update("counter", increment)

    with anyio.fail_after(BOUND_S * 3):
        async with anyio.create_task_group() as group:
            for n in range(60):
                group.start_soon(bump, n)
    assert await handles[1].get("counter") == b"60"


# -- publish / subscribe -----------------------------------------------------------------------


async def test_a_message_reaches_every_subscriber_on_every_replica(
    store: Store, replica: Store
) -> None:
    async with (
        store.subscribe("changes") as first,
        store.subscribe("changes", "other") as second,
        replica.subscribe("changes") as third,
    ):
        await replica.publish("changes", b"tools")
        await store.publish("changes", b"prompts")
        for subscription in (first, second, third):
            assert await next_message(subscription) == ("changes", b"tools")
            assert await next_message(subscription) == ("changes", b"prompts")


async def test_a_subscriber_receives_only_its_channels(store: Store, replica: Store) -> None:
    async with store.subscribe("mine", "also-mine") as subscription:
        await replica.publish("not-mine", b"no")
        await replica.publish("also-mine", b"yes")
        await replica.publish("mine", b"and yes")
        assert await next_message(subscription) == ("also-mine", b"yes")
        assert await next_message(subscription) == ("mine", b"and yes")


async def test_messages_from_one_publisher_arrive_in_order(store: Store, replica: Store) -> None:
    async with store.subscribe("seq") as subscription:
        for n in range(50):
            await replica.publish("seq", str(n).encode())
        received = [await next_message(subscription) for _ in range(50)]
    assert received == [("seq", str(n).encode()) for n in range(50)]


async def test_a_publish_with_nobody_listening_is_dropped(store: Store) -> None:
    await store.publish("nobody", b"lost")
    async with store.subscribe("nobody") as subscription:
        await store.publish("nobody", b"heard")
        assert await next_message(subscription) == ("nobody", b"heard")


async def test_leaving_a_subscription_stops_delivery_and_others_keep_theirs(
    store: Store, replica: Store
) -> None:
    async with store.subscribe("c") as staying:
        async with store.subscribe("c") as leaving:
            await replica.publish("c", b"1")
            assert await next_message(leaving) == ("c", b"1")
        await replica.publish("c", b"2")
        assert await next_message(staying) == ("c", b"1")
        assert await next_message(staying) == ("c", b"2")
    with anyio.fail_after(BOUND_S):
        assert [message async for message in leaving] == []


async def test_closing_the_store_ends_its_subscriptions(store: Store) -> None:
    async with store.subscribe("c") as subscription:
        await store.publish("c", b"before close")
        assert await next_message(subscription) == ("c", b"before close")
        await store.aclose()
        with anyio.fail_after(BOUND_S):
            assert [message async for message in subscription] == []


async def test_subscribe_needs_a_channel(store: Store) -> None:
    with pytest.raises(ValueError, match="at least one channel"):
        store.subscribe()


async def test_a_reader_that_falls_behind_is_told_to_resynchronise() -> None:
    store = MemoryStore()
    async with store.subscribe("a", "b") as subscription:
        for n in range(10_001):
            await store.publish("a", str(n).encode())
        first = [await next_message(subscription), await next_message(subscription)]
        await store.publish("a", b"fresh")
        assert sorted(first) == [("a", None), ("b", None)]
        assert await next_message(subscription) == ("a", b"fresh")


# -- logs --------------------------------------------------------------------------------------


async def test_a_log_is_read_from_the_start_or_after_an_entry(store: Store, replica: Store) -> None:
    ids = [await store.append("events", f"e{n}".encode(), ttl_ms=LONG_MS) for n in range(5)]
    assert len(set(ids)) == 5
    everything = await replica.read_after("events", None)
    assert everything == [(entry_id, f"e{n}".encode()) for n, entry_id in enumerate(ids)]
    assert await replica.read_after("events", ids[2]) == everything[3:]
    assert await replica.read_after("events", ids[4]) == []
    assert await replica.read_after("events", None, limit=2) == everything[:2]


async def test_a_log_keeps_only_its_newest_entries(store: Store) -> None:
    for n in range(6):
        await store.append("bounded", str(n).encode(), ttl_ms=LONG_MS, max_len=3)
    assert [entry for _, entry in await store.read_after("bounded", None)] == [b"3", b"4", b"5"]


async def test_a_log_expires_after_its_last_append(store: Store) -> None:
    await store.append("brief", b"x", ttl_ms=50)
    assert len(await store.read_after("brief", None)) == 1
    await past_expiry(50)
    assert await store.read_after("brief", None) == []
    assert await store.read_after("missing", None) == []


async def test_a_blocking_read_returns_when_another_replica_appends(
    store: Store, replica: Store
) -> None:
    first = await store.append("stream", b"first", ttl_ms=LONG_MS)
    received: list[tuple[str, bytes]] = []

    async def wait_for_next() -> None:
        received.extend(await replica.read_after("stream", first, block_ms=30_000))

    with anyio.fail_after(BOUND_S):
        async with anyio.create_task_group() as group:
            group.start_soon(wait_for_next)
            await anyio.wait_all_tasks_blocked()
            second = await store.append("stream", b"second", ttl_ms=LONG_MS)
    assert received == [(second, b"second")]


async def test_closing_the_in_process_store_ends_a_blocked_read() -> None:
    store = MemoryStore()
    received: list[list[tuple[str, bytes]]] = []

    async def wait() -> None:
        received.append(await store.read_after("stream", None, block_ms=60_000))

    with anyio.fail_after(BOUND_S):
        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            await store.aclose()
    assert received == [[]]


async def test_a_blocking_read_of_a_quiet_log_returns_nothing_in_time(store: Store) -> None:
    with anyio.fail_after(BOUND_S):
        assert await store.read_after("quiet", None, block_ms=100) == []


async def test_log_sizes_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="max_len must be 1 or more"):
        await store.append("events", b"e", ttl_ms=LONG_MS, max_len=0)
    with pytest.raises(ValueError, match="limit must be 1 or more"):
        await store.read_after("events", None, limit=0)
    assert await store.read_after("events", None) == []


@pytest.mark.parametrize("bad", ["", "abc", "1-", "-1", "1-2-3", "9" * 30 + "-0", "1 -0"])
async def test_reading_after_something_that_is_not_an_entry_id_is_refused(
    store: Store, bad: str
) -> None:
    with pytest.raises(ValueError, match="not a log entry id"):
        await store.read_after("events", bad)


async def test_keys_logs_and_channels_are_separate_namespaces(store: Store) -> None:
    await store.put("same", b"value", ttl_ms=LONG_MS)
    entry = await store.append("same", b"entry", ttl_ms=LONG_MS)
    async with store.subscribe("same") as subscription:
        await store.publish("same", b"message")
        assert await next_message(subscription) == ("same", b"message")
    assert await store.get("same") == b"value"
    assert await store.read_after("same", None) == [(entry, b"entry")]
