"""The official MCP Python SDK client across replicas sharing one Redis, over real sockets.

Change notifications through `Client.listen`, and tasks through the SDK's extension API (see
`tests.sdk_support`): made on one replica, polled, answered, cancelled and followed on others.
"""

from __future__ import annotations

import os
import signal
from typing import Any, Final

import anyio
import anyio.to_thread
import pytest
from mcp.client.subscriptions import ToolsListChanged
from mcp.types import (
    Result,
    SubscriptionFilter,
    SubscriptionsAcknowledgedNotification,
    SubscriptionsListenRequest,
    SubscriptionsListenRequestParams,
    TextContent,
)

from tests.replica_support import Replicas
from tests.sdk_support import TERMINAL, CreatedTask, Tasks, get_task, task_request, wait_for
from tests.support import sdk_client

pytestmark = pytest.mark.anyio

CHANGES: Final = "tests.fixtures.changes_app:app"
TASKS: Final = "tests.fixtures.task_app:app"
TIMEOUT_S: Final = 30.0
PARKED: Final = frozenset({"input_required"})
GO: Final = {"go": {"action": "accept", "content": {"go": True}}}


def text_of(result: Any) -> str:
    content = result.content[0]
    assert isinstance(content, TextContent)
    return content.text


async def test_an_sdk_listener_on_one_replica_hears_a_change_made_on_another(
    redis_url: str,
) -> None:
    with Replicas(CHANGES, 3, store_url=redis_url) as replicas:
        a, b, _ = replicas.members
        async with (
            sdk_client(b.url, "auto", wait_s=TIMEOUT_S) as on_b,
            sdk_client(a.url, "auto", wait_s=TIMEOUT_S) as on_a,
        ):
            assert on_b.protocol_version == "2026-07-28"
            with anyio.fail_after(TIMEOUT_S):
                async with on_b.listen(tools_list_changed=True) as subscription:
                    assert subscription.honored.tools_list_changed is True
                    assert text_of(await on_a.call_tool("touch", {})) == "announced"
                    event = await subscription.__anext__()
    assert isinstance(event, ToolsListChanged)


async def test_an_sdk_listen_ends_cleanly_when_a_server_with_workers_stops(
    redis_url: str,
) -> None:
    with Replicas(CHANGES, 1, store_url=redis_url, options=("--workers", "2")) as running:
        member = running.members[0]
        async with sdk_client(member.url, "auto", wait_s=TIMEOUT_S) as client:
            with anyio.fail_after(TIMEOUT_S):
                async with client.listen(tools_list_changed=True) as subscription:
                    os.kill(member.pid, signal.SIGTERM)
                    # The final result is the graceful end: the loop ends, SubscriptionLost is not
                    # raised.
                    events = [event async for event in subscription]
        assert await anyio.to_thread.run_sync(member.process.wait) == 0
    assert events == []


async def test_an_sdk_task_made_on_one_replica_is_polled_answered_and_cancelled_on_others(
    redis_url: str,
) -> None:
    with Replicas(TASKS, 3, store_url=redis_url) as replicas:
        a, b, c = replicas.members
        async with (
            sdk_client(a.url, "auto", wait_s=TIMEOUT_S, extensions=[Tasks()]) as on_a,
            sdk_client(b.url, "auto", wait_s=TIMEOUT_S, extensions=[Tasks()]) as on_b,
            sdk_client(c.url, "auto", wait_s=TIMEOUT_S, extensions=[Tasks()]) as on_c,
        ):
            # Through Client.call_tool the extension polls the task to its result.
            done = await on_a.call_tool("work", {"seconds": 0})
            assert text_of(done).startswith("worked in ")

            running = await on_a.session.call_tool("work", {"seconds": 60}, allow_claimed=True)
            assert isinstance(running, CreatedTask)
            assert (await get_task(on_b.session, running.task_id)).status == "working"
            ack = await task_request(on_c.session, "tasks/cancel", running.task_id)
            assert ack["resultType"] == "complete"
            assert "status" not in ack
            cancelled = await wait_for(on_b.session, running.task_id, TERMINAL)
            assert cancelled.status == "cancelled"

            parked = await on_a.session.call_tool("ask", {}, allow_claimed=True)
            assert isinstance(parked, CreatedTask)
            asking = await wait_for(on_b.session, parked.task_id, PARKED)
            assert asking.input_requests is not None
            assert list(asking.input_requests) == ["go"]
            await task_request(on_c.session, "tasks/update", parked.task_id, inputResponses=GO)
            finished = await wait_for(on_b.session, parked.task_id, TERMINAL)
    assert finished.result is not None
    assert finished.result["content"][0]["text"] == f"finished in {c.pid}"


async def test_an_sdk_client_follows_a_task_on_a_listen_stream_of_another_replica(
    redis_url: str,
) -> None:
    acknowledged: list[SubscriptionFilter] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, SubscriptionsAcknowledgedNotification):
            acknowledged.append(message.params.notifications)

    following = Tasks()
    with Replicas(TASKS, 3, store_url=redis_url) as replicas:
        a, b, c = replicas.members
        async with (
            sdk_client(a.url, "auto", wait_s=TIMEOUT_S, extensions=[Tasks()]) as on_a,
            sdk_client(
                b.url,
                "auto",
                wait_s=TIMEOUT_S,
                extensions=[following],
                message_handler=on_message,
            ) as on_b,
            sdk_client(c.url, "auto", wait_s=TIMEOUT_S, extensions=[Tasks()]) as on_c,
        ):
            parked = await on_a.session.call_tool("ask", {}, allow_claimed=True)
            assert isinstance(parked, CreatedTask)
            await wait_for(on_b.session, parked.task_id, PARKED)
            # Client.listen() has no taskIds switch; the SDK's filter model carries extra keys.
            wanted = SubscriptionFilter.model_validate({"taskIds": [parked.task_id]})
            listen = SubscriptionsListenRequest(
                params=SubscriptionsListenRequestParams(notifications=wanted)
            )
            with anyio.fail_after(TIMEOUT_S):
                async with anyio.create_task_group() as streams:
                    streams.start_soon(on_b.session.send_request, listen, Result)
                    await following.notice(parked.task_id, "input_required")
                    await task_request(
                        on_c.session, "tasks/update", parked.task_id, inputResponses=GO
                    )
                    done = await following.notice(parked.task_id, "completed")
                    streams.cancel_scope.cancel()
    assert [h.model_dump(by_alias=True, exclude_none=True) for h in acknowledged] == [
        {"taskIds": [parked.task_id]}
    ]
    assert done.result is not None
    assert done.result["content"][0]["text"] == f"finished in {c.pid}"
    assert [notice.status for notice in following.notices] == [
        "input_required",
        "working",
        "completed",
    ]
