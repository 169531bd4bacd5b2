"""`InputRequired` at the handshake revisions over HTTP: the server asks on the call's stream."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import anyio
import httpx
import pytest
from mcp import types as sdk

from http_mcp import MCPServer
from http_mcp.jsonrpc import INTERNAL_ERROR, INVALID_REQUEST
from http_mcp.stores import RedisStore
from tests.back_channel_support import (
    headers_for,
    open_session,
    post_answer,
    streamed_call,
    text_of,
)
from tests.fixtures.back_channel_app import TOOLS, build, with_bearer_names
from tests.redis_support import RedisServer
from tests.support import sdk_client
from tests.test_store_wiring import CountingStore

pytestmark = pytest.mark.anyio

BOUND_S: Final = 20.0
BOTH: Final[dict[str, Any]] = {"elicitation": {}, "sampling": {}}
Live = Callable[[Any], Any]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=BOUND_S) as client:
        yield client


def served(live: Live, **options: Any) -> str:
    url: str = live(with_bearer_names(build(**options))).url
    return url


# -- the official SDK client ------------------------------------------------------------------


async def elicit_yes(context: Any, params: sdk.ElicitRequestParams) -> sdk.ElicitResult:
    return sdk.ElicitResult(action="accept", content={"ok": True})


async def sample_plan(
    context: Any, params: sdk.CreateMessageRequestParams
) -> sdk.CreateMessageResult:
    return sdk.CreateMessageResult(
        role="assistant", content=sdk.TextContent(type="text", text="a fine plan"), model="m"
    )


async def sdk_call(url: str, name: str, **callbacks: Any) -> sdk.CallToolResult:
    with anyio.fail_after(BOUND_S):
        async with sdk_client(url, "legacy", wait_s=BOUND_S, **callbacks) as client:
            assert client.protocol_version == "2025-11-25"
            return await client.call_tool(name, {})


async def test_the_sdk_client_answers_an_elicitation_then_a_sampling_and_the_tool_finishes(
    live: Live,
) -> None:
    url = served(live)
    result = await sdk_call(
        url, "confirm_and_summarise", elicitation_callback=elicit_yes, sampling_callback=sample_plan
    )
    assert not result.is_error
    assert result.content[0].text == f"confirmed on {os.getpid()}; model said: a fine plan"  # type: ignore[union-attr]


async def test_two_requests_of_one_round_are_asked_at_once(live: Live) -> None:
    url = served(live)
    result = await sdk_call(
        url, "ask_both", elicitation_callback=elicit_yes, sampling_callback=sample_plan
    )
    assert result.content[0].text == "accept / a fine plan"  # type: ignore[union-attr]


async def test_a_prompt_asks_the_client_too(live: Live) -> None:
    url = served(live)
    with anyio.fail_after(BOUND_S):
        async with sdk_client(url, "legacy", sampling_callback=sample_plan) as client:
            prompt = await client.get_prompt("briefing", {"topic": "tides"})
    assert prompt.messages[0].content.text == "a fine plan"  # type: ignore[union-attr]


async def test_a_request_for_roots_reaches_the_sdk_client(live: Live) -> None:
    async def roots(context: Any) -> sdk.ListRootsResult:
        return sdk.ListRootsResult(roots=[sdk.Root(uri="file:///work", name="work")])

    result = await sdk_call(served(live), "list_roots", list_roots_callback=roots)
    assert result.content[0].text == "file:///work"  # type: ignore[union-attr]


async def test_a_capability_the_sdk_client_did_not_declare_is_an_error_result(
    live: Live,
) -> None:
    result = await sdk_call(served(live), "confirm_and_summarise", sampling_callback=sample_plan)
    assert result.is_error
    assert "elicitation" in result.content[0].text  # type: ignore[union-attr]


async def test_asking_stops_after_the_bounded_number_of_rounds(live: Live) -> None:
    result = await sdk_call(served(live), "never_satisfied", elicitation_callback=elicit_yes)
    assert result.is_error
    assert "after 10 rounds" in result.content[0].text  # type: ignore[union-attr]


async def test_an_error_the_sdk_client_answers_ends_the_call_with_an_error_result(
    live: Live,
) -> None:
    async def refuse(context: Any, params: sdk.ElicitRequestParams) -> sdk.ErrorData:
        return sdk.ErrorData(code=-1, message="the user closed the window")

    result = await sdk_call(served(live), "confirm_and_summarise", elicitation_callback=refuse)
    assert result.is_error
    assert "the user closed the window" in result.content[0].text  # type: ignore[union-attr]


# -- by hand ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2025-11-25", "2025-06-18", "2025-03-26"])
async def test_every_handshake_revision_asks_on_the_calls_stream(
    live: Live, http: httpx.AsyncClient, version: str
) -> None:
    url = served(live)
    session = await open_session(http, url, BOTH, version=version)
    with anyio.fail_after(BOUND_S):
        async with streamed_call(http, url, session, "ask_both", version=version) as call:
            asked = {}
            for _ in range(2):
                request = await call.next()
                asked[request["method"]] = request["id"]
            answers = {
                "elicitation/create": {"action": "accept", "content": {"ok": True}},
                "sampling/createMessage": {
                    "role": "assistant",
                    "content": {"type": "text", "text": "hi"},
                    "model": "m",
                },
            }
            for method, request_id in asked.items():
                answer = await post_answer(
                    http, url, session, request_id, answers[method], version=version
                )
                assert answer.status_code == 202
            result = await call.next()
    assert text_of(result) == "accept / hi"


async def test_an_answer_is_taken_once_from_its_caller_only(
    live: Live, http: httpx.AsyncClient
) -> None:
    url = served(live)
    session = await open_session(http, url, BOTH, token="alice")
    with anyio.fail_after(BOUND_S):
        async with streamed_call(http, url, session, "confirm_and_summarise", "alice") as call:
            asked = await call.next()
            assert asked["method"] == "elicitation/create"
            assert asked["id"].startswith("srv-")
            decline = {"action": "decline"}
            for token in ("mallory", None):  # another caller; nobody
                refused = await post_answer(http, url, session, asked["id"], decline, token=token)
                assert refused.status_code == 403
                assert refused.json()["error"]["code"] == INVALID_REQUEST
                assert refused.json()["id"] is None
            taken = await post_answer(http, url, session, asked["id"], decline, token="alice")
            assert (taken.status_code, taken.content) == (202, b"")
            assert text_of(await call.next()) == "stopped by the user (decline)"
    again = await post_answer(http, url, session, asked["id"], decline, token="alice")
    assert again.status_code == 400
    assert "already answered" in again.json()["error"]["message"]


@pytest.mark.parametrize(
    "request_id",
    [pytest.param(7, id="integer"), pytest.param("srv-unknown", id="unknown"), None],
)
async def test_an_answer_to_no_request_of_the_servers_is_refused(
    live: Live, http: httpx.AsyncClient, request_id: Any
) -> None:
    url = served(live)
    session = await open_session(http, url, BOTH)
    if request_id is None:
        response = await post_answer(
            http, url, session, None, error={"code": -32700, "message": "?"}
        )
    else:
        response = await post_answer(http, url, session, request_id, {"action": "accept"})
    assert response.status_code == 400
    body = response.json()
    assert body["id"] is None
    assert body["error"]["code"] == INVALID_REQUEST
    assert "Traceback" not in response.text


async def test_a_client_that_never_answers_ends_the_call_with_an_error_result(
    live: Live, http: httpx.AsyncClient
) -> None:
    url = served(live, back_channel_timeout_s=0.2)
    session = await open_session(http, url, BOTH)
    with anyio.fail_after(BOUND_S):
        async with streamed_call(http, url, session, "confirm_and_summarise") as call:
            asked = await call.next()
            result = await call.next()
    assert result["result"]["isError"] is True
    assert "did not answer within 0.2 seconds" in text_of(result)
    late = await post_answer(http, url, session, asked["id"], {"action": "accept"})
    assert late.status_code == 400


async def test_a_prompt_whose_client_never_answers_gets_a_jsonrpc_error(
    live: Live, http: httpx.AsyncClient
) -> None:
    url = served(live, back_channel_timeout_s=0.2)
    session = await open_session(http, url, BOTH)
    with anyio.fail_after(BOUND_S):
        async with streamed_call(
            http, url, session, "briefing", method="prompts/get", arguments={"topic": "x"}
        ) as call:
            assert (await call.next())["method"] == "sampling/createMessage"
            answer = await call.next()
    assert answer["error"]["code"] == INTERNAL_ERROR


@pytest.mark.parametrize(
    ("session_capabilities", "accept", "wanted"),
    [
        pytest.param({"sampling": {}}, None, "elicitation", id="undeclared"),
        pytest.param(None, None, "elicitation", id="no-session"),
        pytest.param(BOTH, "application/json", "text/event-stream", id="json-only"),
    ],
)
async def test_a_call_that_cannot_ask_gets_an_error_result_naming_what_is_missing(
    live: Live,
    http: httpx.AsyncClient,
    session_capabilities: dict[str, Any] | None,
    accept: str | None,
    wanted: str,
) -> None:
    url = served(live)
    session = None
    if session_capabilities is not None:
        session = await open_session(http, url, session_capabilities)
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "confirm_and_summarise", "arguments": {}},
    }
    headers = headers_for(session, **({} if accept is None else {"accept": accept}))
    response = await http.post(url, json=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    result = response.json()["result"]
    assert result["isError"] is True
    assert wanted in result["content"][0]["text"]


async def test_without_the_back_channel_the_error_result_names_the_switch(
    wire_of: Any,
) -> None:
    server = MCPServer(name="off", version="1", tools=TOOLS)
    answer = await wire_of(server).legacy(
        "tools/call", {"name": "confirm_and_summarise", "arguments": {}}
    )
    result = answer.json()["result"]
    assert result["isError"] is True
    assert "back_channel=True" in result["content"][0]["text"]


# -- the store --------------------------------------------------------------------------------


async def test_calls_that_do_not_ask_make_no_store_call(
    live: Live, http: httpx.AsyncClient
) -> None:
    store = CountingStore()
    url = served(live, store=store)
    session = await open_session(http, url, BOTH)
    # Once per process, from its lifespan's start: the channel that carries cancels.
    assert store.calls == Counter({"subscribe": 1})
    store.calls.clear()
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami"}}
    response = await http.post(url, json=body, headers=headers_for(session))
    assert response.json()["result"]["content"][0]["text"] == str(os.getpid())
    assert store.calls == Counter()


async def test_a_store_outage_while_asking_is_a_clear_error_result(
    live: Live, http: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    store = RedisStore(redis_server.url, prefix="back-channel:", timeout=1.0)
    url = served(live, store=store)
    session = await open_session(http, url, BOTH)
    redis_server.stop()
    try:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "confirm_and_summarise"},
        }
        with anyio.fail_after(BOUND_S):
            response = await http.post(url, json=body, headers=headers_for(session))
    finally:
        redis_server.start()
    result = response.json()["result"]
    assert result["isError"] is True
    assert "cannot reach its store" in result["content"][0]["text"]


async def test_a_store_outage_while_a_call_waits_ends_it_with_an_error_when_the_store_returns(
    live: Live, http: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    store = RedisStore(redis_server.url, prefix="back-channel-wait:", timeout=1.0)
    url = served(live, store=store)
    session = await open_session(http, url, BOTH)
    with anyio.fail_after(BOUND_S):
        async with streamed_call(http, url, session, "confirm_and_summarise") as call:
            asked = await call.next()
            redis_server.stop()
            try:
                answer = await post_answer(http, url, session, asked["id"], {"action": "accept"})
            finally:
                redis_server.start()
            # Back, the store tells the waiting side that it may have missed the answer.
            result = await call.next()
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == INTERNAL_ERROR
    assert result["result"]["isError"] is True
    assert "cannot reach its store" in text_of(result)


async def test_a_call_timing_out_while_the_store_is_down_still_ends_cleanly(
    live: Live, http: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    store = RedisStore(redis_server.url, prefix="back-channel-late:", timeout=0.5)
    url = served(live, store=store, back_channel_timeout_s=1.0)
    session = await open_session(http, url, BOTH)
    try:
        with anyio.fail_after(BOUND_S):
            async with streamed_call(http, url, session, "confirm_and_summarise") as call:
                await call.next()
                redis_server.stop()
                result = await call.next()
    finally:
        redis_server.start()
    assert "did not answer within 1 seconds" in text_of(result)
