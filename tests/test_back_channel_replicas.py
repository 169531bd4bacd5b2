"""The back channel across three replicas sharing one Redis, behind a round-robin proxy.

A tool's request to the client goes out on the stream of the replica running the call (A);
the client's answer is posted to whichever replica the proxy picks (B), which routes it to A
through the store.
"""

from __future__ import annotations

import re
import signal
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import anyio
import httpx
import pytest
from mcp import MCPError
from mcp import types as sdk

from tests.back_channel_support import open_session, post_answer, streamed_call, text_of
from tests.replica_support import Replica, Replicas, RoundRobinProxy
from tests.support import sdk_client

pytestmark = pytest.mark.anyio

TARGET: Final = "tests.fixtures.back_channel_app:app"
BOUND_S: Final = 30.0
BOTH: Final[dict[str, Any]] = {"elicitation": {}, "sampling": {}}
SENT: Final = re.compile(r"sent \S+ to the client as (srv-[A-Za-z0-9_-]+)")


@pytest.fixture
def replicas(redis_url: str) -> Iterator[Replicas]:
    with Replicas(TARGET, 3, store_url=redis_url, options=("--log-level", "debug")) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=BOUND_S) as client:
        yield client


def taken_by(replicas: Replicas, request_id: str) -> list[Replica]:
    return [m for m in replicas.members if f"answer to {request_id} and passed" in m.log]


async def test_a_request_sent_by_a_is_answered_on_b_and_the_tool_finishes_on_a(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    a, b, c = replicas.members
    session = await open_session(http, c.url, BOTH, token="alice")
    with anyio.fail_after(BOUND_S):
        async with streamed_call(http, a.url, session, "confirm_and_summarise", "alice") as call:
            asked = await call.next()
            assert f"process {a.pid}" in asked["params"]["message"]
            yes = {"action": "accept", "content": {"ok": True}}
            taken = await post_answer(http, b.url, session, asked["id"], yes, token="alice")
            assert taken.status_code == 202
            sampled = await call.next()
            assert sampled["method"] == "sampling/createMessage"
            plan = {"role": "assistant", "content": {"type": "text", "text": "ok"}, "model": "m"}
            taken = await post_answer(http, c.url, session, sampled["id"], plan, token="alice")
            assert taken.status_code == 202
            result = await call.next()
    assert text_of(result) == f"confirmed on {a.pid}; model said: ok"
    assert taken_by(replicas, asked["id"]) == [b]
    assert taken_by(replicas, sampled["id"]) == [c]


async def test_another_callers_answer_is_refused_and_the_rightful_one_still_works(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    async with RoundRobinProxy(replicas.ports) as proxy:
        session = await open_session(http, proxy.url, BOTH, token="alice")
        with anyio.fail_after(BOUND_S):
            async with streamed_call(
                http, proxy.url, session, "confirm_and_summarise", "alice"
            ) as call:
                asked = await call.next()
                no = {"action": "decline"}
                for token in ("mallory", "mallory", None):
                    refused = await post_answer(
                        http, proxy.url, session, asked["id"], no, token=token
                    )
                    assert refused.status_code == 403
                    assert "another caller" in refused.json()["error"]["message"]
                taken = await post_answer(http, proxy.url, session, asked["id"], no, token="alice")
                assert taken.status_code == 202
                assert text_of(await call.next()) == "stopped by the user (decline)"


async def elicit_yes(context: Any, params: sdk.ElicitRequestParams) -> sdk.ElicitResult:
    return sdk.ElicitResult(action="accept", content={"ok": True})


async def sample_plan(
    context: Any, params: sdk.CreateMessageRequestParams
) -> sdk.CreateMessageResult:
    return sdk.CreateMessageResult(
        role="assistant", content=sdk.TextContent(type="text", text="a plan"), model="m"
    )


async def test_the_sdk_client_through_the_proxy_gets_its_answers_routed_home(
    replicas: Replicas,
) -> None:
    async with RoundRobinProxy(replicas.ports) as proxy:
        with anyio.fail_after(BOUND_S):
            async with sdk_client(
                proxy.url,
                "legacy",
                wait_s=BOUND_S,
                elicitation_callback=elicit_yes,
                sampling_callback=sample_plan,
            ) as client:
                result = await client.call_tool("confirm_and_summarise", {})
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.endswith("model said: a plan")
    ran_on = int(text.split()[2].rstrip(";"))
    (a,) = [m for m in replicas.members if m.pid == ran_on]
    request_ids = SENT.findall(a.log)
    assert len(request_ids) == 2
    takers = [taken_by(replicas, request_id) for request_id in request_ids]
    assert all(len(taker) == 1 for taker in takers)
    assert any(taker != [a] for taker in takers)  # at least one answer came through another


async def test_a_replica_killed_while_waiting_leaves_the_client_an_error_not_a_hang(
    replicas: Replicas,
) -> None:
    async def kill_the_asker(context: Any, params: sdk.ElicitRequestParams) -> sdk.ElicitResult:
        pid = int(params.message.split()[-1].rstrip("?"))
        (asker,) = [m for m in replicas.members if m.pid == pid]
        asker.kill(signal.SIGKILL)
        return sdk.ElicitResult(action="accept", content={"ok": True})

    async with RoundRobinProxy(replicas.ports) as proxy:
        with anyio.fail_after(BOUND_S):
            async with sdk_client(
                proxy.url, "legacy", wait_s=BOUND_S / 2, elicitation_callback=kill_the_asker
            ) as client:
                # The client resumes the broken stream on another replica, which finds the
                # asker's lease gone and answers with an error.
                with pytest.raises(MCPError, match="server running this request stopped"):
                    await client.call_tool("confirm_and_summarise", {})
                survivor = await client.call_tool("whoami", {})
    assert int(survivor.content[0].text) in replicas.pids  # type: ignore[union-attr]
