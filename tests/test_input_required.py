"""Input-required results (2026-07-28): asking the client for input, and signed request state."""

from __future__ import annotations

import logging
import string
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp import types as sdk
from mcp.client.context import ClientRequestContext
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp._request_state import RequestStateCodec
from http_mcp.types import (
    Arguments,
    Elicitation,
    InputRequired,
    ListRoots,
    NoArguments,
    Prompt,
    PromptMessage,
    Sampling,
    SamplingMessage,
    TextContent,
    Tool,
)
from tests.conftest import LEGACY, MODERN, Wire, legacy_request, modern_request

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
KEY = "a shared secret of more than sixteen bytes"
OTHER_KEY = b"another secret, also long enough"
ALL_CAPABILITIES: dict[str, Any] = {"elicitation": {}, "sampling": {}, "roots": {}}
CAPABILITIES_META = "io.modelcontextprotocol/clientCapabilities"
BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


class Name(BaseModel):
    name: str


class Confirm(BaseModel):
    ok: bool


class Color(BaseModel):
    color: str


class Context(BaseModel):
    context: str


def accept(**content: Any) -> dict[str, Any]:
    return {"action": "accept", "content": content}


SAMPLED = {
    "role": "assistant",
    "content": {"type": "text", "text": "The capital of France is Paris."},
    "model": "test-model",
    "stopReason": "endTurn",
}
ROOTS = {"roots": [{"uri": "file:///test/root", "name": "Test Root"}]}


def declarations(runs: list[str]) -> tuple[tuple[Tool, ...], tuple[Prompt, ...]]:
    """Tools and a prompt that ask for input; each run is recorded in `runs`."""

    def greet(arguments: Arguments[NoArguments]) -> str | InputRequired:
        runs.append("greet")
        answer = arguments.elicitation("user_name")
        if answer is None or answer.content is None:
            return InputRequired({"user_name": Elicitation("What is your name?", Name)})
        if answer.action != "accept":
            return f"No name ({answer.action})."
        return f"Hello, {answer.content['name']}!"

    async def capital(arguments: Arguments[NoArguments]) -> str | InputRequired:
        runs.append("capital")
        answer = arguments.sampling("capital_question")
        if answer is None:
            question = Sampling("What is the capital of France?", max_tokens=100)
            return InputRequired({"capital_question": question})
        return f"Sampling result: {answer.text} ({answer.model}, {answer.stop_reason})"

    def list_roots(arguments: Arguments[NoArguments]) -> str | InputRequired:
        runs.append("list_roots")
        found = arguments.roots("client_roots")
        if found is None:
            return InputRequired({"client_roots": ListRoots()})
        uris = ", ".join(f"{root.uri} ({root.name})" for root in found.roots)
        return f"Found {len(found.roots)} root(s): {uris}"

    def confirm(arguments: Arguments[NoArguments]) -> str | InputRequired:
        runs.append("confirm")
        answer = arguments.elicitation("confirm")
        state = arguments.request_state
        if answer is None or state is None:
            ask = Elicitation("Please confirm", Confirm)
            return InputRequired({"confirm": ask}, state={"ticket": 7, "items": [1, "two", None]})
        return f"state-ok {state} ok={answer.content}"

    def wizard(arguments: Arguments[NoArguments]) -> str | InputRequired:
        state = arguments.request_state or {"round": 1}
        runs.append(f"wizard {state['round']}")
        if state["round"] == 1:
            step1 = arguments.elicitation("step1")
            if step1 is None or step1.content is None:
                ask = Elicitation("Step 1: What is your name?", Name)
                return InputRequired({"step1": ask}, state={"round": 1})
            ask = Elicitation("Step 2: What is your favorite color?", Color)
            return InputRequired({"step2": ask}, state={"round": 2, **step1.content})
        step2 = arguments.elicitation("step2")
        if step2 is None or step2.content is None:
            ask = Elicitation("Step 2: What is your favorite color?", Color)
            return InputRequired({"step2": ask}, state=state)
        return f"{state['name']} likes {step2.content['color']}"

    def everything(arguments: Arguments[NoArguments]) -> str | InputRequired:
        runs.append("everything")
        name, greeting = arguments.elicitation("user_name"), arguments.sampling("greeting")
        roots = arguments.roots("client_roots")
        if name is None or greeting is None or roots is None or name.content is None:
            return InputRequired(
                {
                    "user_name": Elicitation("What is your name?", Name),
                    "greeting": Sampling(
                        [
                            SamplingMessage("user", TextContent(text="Generate a greeting")),
                        ],
                        max_tokens=50,
                        system_prompt="Be brief.",
                    ),
                    "client_roots": ListRoots(),
                },
                state="all three",
            )
        state = arguments.request_state
        return f"{greeting.text}, {name.content['name']}: {len(roots.roots)} root(s), {state}"

    def adaptive(arguments: Arguments[NoArguments]) -> str | InputRequired:
        runs.append("adaptive")
        if arguments.input_responses:
            return f"answered {sorted(arguments.input_responses)}"
        declared = arguments.client_capabilities
        asks: dict[str, Elicitation | Sampling | ListRoots] = {}
        if "elicitation" in declared:
            asks["ask"] = Elicitation("Anything?", Name)
        if "sampling" in declared:
            asks["sample"] = Sampling("Say something", max_tokens=10)
        if "roots" in declared:
            asks["roots"] = ListRoots()
        return InputRequired(asks) if asks else "nothing to ask"

    def waiting(arguments: Arguments[NoArguments]) -> str | InputRequired:
        runs.append("waiting")
        if arguments.request_state is None:
            return InputRequired({}, state={"poll": 1})
        return f"done after {arguments.request_state}"

    def with_context(arguments: Arguments[NoArguments]) -> list[PromptMessage] | InputRequired:
        """A prompt that asks what context to use."""
        runs.append("with_context")
        answer = arguments.elicitation("user_context")
        if answer is None or answer.content is None:
            ask = Elicitation("What context should the prompt use?", Context)
            return InputRequired({"user_context": ask})
        text = f"Prompt with context: {answer.content['context']}"
        return [PromptMessage(role="user", content=TextContent(text=text))]

    tools = tuple(
        Tool(func=func, description=f"{func.__name__} asks for input")
        for func in (greet, capital, list_roots, confirm, wizard, everything, adaptive, waiting)
    )
    return tools, (Prompt(func=with_context),)


def make_server(runs: list[str], key: str | bytes | None = KEY, **kwargs: Any) -> MCPServer:
    tools, prompts = declarations(runs)
    return MCPServer(
        name="s", version="1", tools=tools, prompts=prompts, request_state_key=key, **kwargs
    )


def tool_call(
    name: str,
    *,
    responses: Any = None,
    state: Any = None,
    capabilities: dict[str, Any] | None = None,
    method: str = "tools/call",
) -> tuple[dict[str, Any], dict[str, str]]:
    params: dict[str, Any] = {"name": name}
    if method == "tools/call":
        params["arguments"] = {}
    if responses is not None:
        params["inputResponses"] = responses
    if state is not None:
        params["requestState"] = state
    body, headers = modern_request(method, params)
    meta = body["params"]["_meta"]
    meta[CAPABILITIES_META] = ALL_CAPABILITIES if capabilities is None else capabilities
    return body, headers


async def call(wire: Wire, name: str, **kwargs: Any) -> httpx.Response:
    return await wire.post(*tool_call(name, **kwargs))


async def result_of(wire: Wire, name: str, **kwargs: Any) -> dict[str, Any]:
    response = await call(wire, name, **kwargs)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def text_of(result: dict[str, Any]) -> str:
    assert result["resultType"] == "complete"
    assert "isError" not in result
    [block] = result["content"]
    text: str = block["text"]
    return text


def error_of(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert "result" not in body
    error: dict[str, Any] = body["error"]
    return error


# -- round trips -----------------------------------------------------------------------------


async def test_an_elicitation_round_trip_asks_then_completes_with_the_answer(
    wire_of: WireOf,
) -> None:
    runs: list[str] = []
    wire = wire_of(make_server(runs))
    first = await result_of(wire, "greet")
    assert first["resultType"] == "input_required"
    assert "requestState" not in first
    assert "content" not in first
    assert first["_meta"]["io.modelcontextprotocol/serverInfo"] == {"name": "s", "version": "1"}
    request = first["inputRequests"]["user_name"]
    assert request["method"] == "elicitation/create"
    assert request["params"]["mode"] == "form"
    assert request["params"]["message"] == "What is your name?"
    schema = request["params"]["requestedSchema"]
    assert schema["type"] == "object"
    assert schema["properties"]["name"]["type"] == "string"
    assert schema["required"] == ["name"]
    second = await result_of(wire, "greet", responses={"user_name": accept(name="Alice")})
    assert text_of(second) == "Hello, Alice!"
    assert runs == ["greet", "greet"]


async def test_a_declined_elicitation_reaches_the_tool_as_declined(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    result = await result_of(
        wire, "greet", responses={"user_name": {"action": "decline", "content": {}}}
    )
    assert text_of(result) == "No name (decline)."


async def test_a_sampling_answer_is_parsed_into_a_sampling_response(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    first = await result_of(wire, "capital")
    assert first["resultType"] == "input_required"
    assert first["inputRequests"] == {
        "capital_question": {
            "method": "sampling/createMessage",
            "params": {
                "messages": [
                    {
                        "role": "user",
                        "content": {"type": "text", "text": "What is the capital of France?"},
                    }
                ],
                "maxTokens": 100,
            },
        }
    }
    second = await result_of(wire, "capital", responses={"capital_question": SAMPLED})
    assert text_of(second) == (
        "Sampling result: The capital of France is Paris. (test-model, endTurn)"
    )


async def test_a_sampling_answer_that_is_not_text_has_no_text(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    picture = {**SAMPLED, "content": {"type": "image", "data": "aGk=", "mimeType": "image/png"}}
    result = await result_of(wire, "capital", responses={"capital_question": picture})
    assert text_of(result) == "Sampling result: None (test-model, endTurn)"


async def test_a_roots_answer_is_parsed_into_a_roots_response(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    first = await result_of(wire, "list_roots")
    assert first["inputRequests"] == {"client_roots": {"method": "roots/list", "params": {}}}
    second = await result_of(wire, "list_roots", responses={"client_roots": ROOTS})
    assert text_of(second) == "Found 1 root(s): file:///test/root (Test Root)"


async def test_several_kinds_of_input_are_asked_at_once_and_answered_together(
    wire_of: WireOf,
) -> None:
    wire = wire_of(make_server([]))
    first = await result_of(wire, "everything")
    requests = first["inputRequests"]
    assert [r["method"] for r in requests.values()] == [
        "elicitation/create",
        "sampling/createMessage",
        "roots/list",
    ]
    assert requests["greeting"]["params"] == {
        "messages": [{"role": "user", "content": {"type": "text", "text": "Generate a greeting"}}],
        "maxTokens": 50,
        "systemPrompt": "Be brief.",
    }
    answers = {
        "user_name": accept(name="Alice"),
        "greeting": {**SAMPLED, "content": {"type": "text", "text": "Hello there!"}},
        "client_roots": ROOTS,
    }
    second = await result_of(wire, "everything", responses=answers, state=first["requestState"])
    assert text_of(second) == "Hello there!, Alice: 1 root(s), all three"


async def test_the_state_comes_back_to_the_tool_as_it_was_given(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    first = await result_of(wire, "confirm")
    assert first["resultType"] == "input_required"
    state = first["requestState"]
    assert isinstance(state, str)
    assert state
    assert "ticket" not in state
    second = await result_of(wire, "confirm", responses={"confirm": accept(ok=True)}, state=state)
    assert text_of(second) == "state-ok {'ticket': 7, 'items': [1, 'two', None]} ok={'ok': True}"


async def test_each_round_of_a_multi_round_request_gets_a_new_state(wire_of: WireOf) -> None:
    runs: list[str] = []
    wire = wire_of(make_server(runs))
    first = await result_of(wire, "wizard")
    assert list(first["inputRequests"]) == ["step1"]
    second = await result_of(
        wire, "wizard", responses={"step1": accept(name="Alice")}, state=first["requestState"]
    )
    assert second["resultType"] == "input_required"
    assert list(second["inputRequests"]) == ["step2"]
    assert second["requestState"] != first["requestState"]
    third = await result_of(
        wire, "wizard", responses={"step2": accept(color="blue")}, state=second["requestState"]
    )
    assert text_of(third) == "Alice likes blue"
    assert runs == ["wizard 1", "wizard 1", "wizard 2"]


async def test_a_result_may_carry_only_a_state_to_be_retried_with(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    first = await result_of(wire, "waiting")
    assert first["resultType"] == "input_required"
    assert "inputRequests" not in first
    second = await result_of(wire, "waiting", state=first["requestState"])
    assert text_of(second) == "done after {'poll': 1}"


async def test_a_missing_or_misnamed_answer_makes_the_tool_ask_again(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    result = await result_of(wire, "greet", responses={"wrong_key": accept(data="wrong")})
    assert result["resultType"] == "input_required"
    assert list(result["inputRequests"]) == ["user_name"]


async def test_unknown_answer_keys_are_ignored(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    responses = {
        "user_name": {**accept(name="Alice"), "_meta": {"x": 1}},
        "unknown_extra_key": {"anything": True},
        "another_unexpected": 12345,
    }
    assert text_of(await result_of(wire, "greet", responses=responses)) == "Hello, Alice!"


async def test_a_tool_may_ask_only_for_what_the_client_declared(wire_of: WireOf) -> None:
    wire = wire_of(make_server([]))
    result = await result_of(wire, "adaptive", capabilities={"sampling": {}})
    assert [r["method"] for r in result["inputRequests"].values()] == ["sampling/createMessage"]
    assert text_of(await result_of(wire, "adaptive", capabilities={})) == "nothing to ask"


async def test_a_prompt_can_ask_for_input_too(wire_of: WireOf) -> None:
    runs: list[str] = []
    wire = wire_of(make_server(runs))
    first = await result_of(wire, "with_context", method="prompts/get")
    assert first["resultType"] == "input_required"
    assert first["inputRequests"]["user_context"]["method"] == "elicitation/create"
    second = await result_of(
        wire,
        "with_context",
        method="prompts/get",
        responses={"user_context": accept(context="test context")},
    )
    assert second["resultType"] == "complete"
    assert second["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Prompt with context: test context"}}
    ]
    assert runs == ["with_context", "with_context"]


# -- refused states ----------------------------------------------------------------------------


def _flip_padding_bit(token: str) -> str:
    # The last character of the signature holds two bits the decoder ignores: a lenient
    # decoder reads the changed text as the same signature.
    last = BASE64URL.index(token[-1])
    return token[:-1] + BASE64URL[last ^ 1]


def _change_one_character(token: str) -> str:
    position = 10
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


TAMPERINGS: dict[str, Callable[[str], Any]] = {
    "one character changed": _change_one_character,
    "padding bit flipped": _flip_padding_bit,
    "-TAMPERED appended": lambda token: token + "-TAMPERED",
    "characters outside the alphabet appended": lambda token: token + "!!!!",
    "characters outside the alphabet inserted": lambda token: token.replace(".", "!!!!.", 1),
    "signature dropped": lambda token: token.split(".")[0],
    "empty": lambda token: "",
    "not base64": lambda token: "@@@.@@@",
    "parts too short to decode": lambda token: "A.A",
    "not ascii": lambda token: "é" + token,
    "not a string": lambda token: {"state": token},
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
async def test_a_tampered_state_is_refused_before_the_tool_runs_again(
    wire_of: WireOf, tamper: Callable[[str], Any]
) -> None:
    runs: list[str] = []
    wire = wire_of(make_server(runs))
    state = (await result_of(wire, "confirm"))["requestState"]
    response = await call(
        wire, "confirm", responses={"confirm": accept(ok=True)}, state=tamper(state)
    )
    error = error_of(response)
    assert error["code"] == -32602
    assert error["message"].startswith("Invalid requestState")
    assert runs == ["confirm"]


async def test_a_state_issued_for_another_tool_is_refused(wire_of: WireOf) -> None:
    runs: list[str] = []
    wire = wire_of(make_server(runs))
    state = (await result_of(wire, "wizard"))["requestState"]
    response = await call(wire, "confirm", responses={"confirm": accept(ok=True)}, state=state)
    assert error_of(response)["code"] == -32602
    prompt_state = await call(wire, "with_context", method="prompts/get", state=state)
    assert error_of(prompt_state)["code"] == -32602
    assert runs == ["wizard 1"]


async def test_a_state_signed_with_another_key_is_refused(wire_of: WireOf) -> None:
    runs: list[str] = []
    wire = wire_of(make_server(runs))
    foreign = wire_of(make_server([], key=OTHER_KEY))
    state = (await result_of(foreign, "confirm"))["requestState"]
    response = await call(wire, "confirm", responses={"confirm": accept(ok=True)}, state=state)
    assert error_of(response)["code"] == -32602
    assert runs == []


async def test_an_expired_state_is_refused(wire_of: WireOf) -> None:
    runs: list[str] = []
    wire = wire_of(make_server(runs))
    expired = RequestStateCodec(KEY, max_age_seconds=-1).seal("tools/call:confirm", {"t": 1})
    fresh = RequestStateCodec(KEY).seal("tools/call:confirm", {"t": 1})
    response = await call(wire, "confirm", responses={"confirm": accept(ok=True)}, state=expired)
    error = error_of(response)
    assert error["code"] == -32602
    assert "expired" in error["message"]
    assert runs == []
    accepted = await result_of(wire, "confirm", responses={"confirm": accept(ok=True)}, state=fresh)
    assert text_of(accepted) == "state-ok {'t': 1} ok={'ok': True}"


async def test_a_retry_reaching_another_replica_with_the_same_key_completes(live: Any) -> None:
    runs: list[str] = []
    tools, prompts = declarations(runs)
    replicas = [
        MCPServer(name="s", version="1", tools=tools, prompts=prompts, request_state_key=KEY)
        for _ in range(2)
    ]
    first_url, second_url = (
        live(Starlette(routes=[Route("/mcp", replica.app)])).url for replica in replicas
    )
    accept_header = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10) as http:
        body, headers = tool_call("wizard")
        first = await http.post(first_url, json=body, headers={**headers, **accept_header})
        state = first.json()["result"]["requestState"]
        body, headers = tool_call("wizard", responses={"step1": accept(name="Ada")}, state=state)
        second = await http.post(second_url, json=body, headers={**headers, **accept_header})
        state = second.json()["result"]["requestState"]
        body, headers = tool_call("wizard", responses={"step2": accept(color="red")}, state=state)
        third = await http.post(first_url, json=body, headers={**headers, **accept_header})
    assert third.status_code == 200, third.text
    assert text_of(third.json()["result"]) == "Ada likes red"
    assert runs == ["wizard 1", "wizard 1", "wizard 2"]


async def test_a_retry_reaching_a_replica_with_another_key_is_refused(live: Any) -> None:
    runs: list[str] = []
    tools, _ = declarations(runs)
    issuing = MCPServer(name="s", version="1", tools=tools, request_state_key=KEY)
    other = MCPServer(name="s", version="1", tools=tools, request_state_key=OTHER_KEY)
    issuing_url = live(Starlette(routes=[Route("/mcp", issuing.app)])).url
    other_url = live(Starlette(routes=[Route("/mcp", other.app)])).url
    accept_header = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10) as http:
        body, headers = tool_call("confirm")
        first = await http.post(issuing_url, json=body, headers={**headers, **accept_header})
        state = first.json()["result"]["requestState"]
        body, headers = tool_call("confirm", responses={"confirm": accept(ok=True)}, state=state)
        refused = await http.post(other_url, json=body, headers={**headers, **accept_header})
    assert error_of(refused)["code"] == -32602
    assert runs == ["confirm"]


async def test_without_a_key_a_random_one_is_used_and_a_warning_logged_once_on_first_use(
    wire_of: WireOf, caplog: pytest.LogCaptureFixture
) -> None:
    def warnings() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "http_mcp" and r.levelno == logging.WARNING]

    with caplog.at_level(logging.WARNING, logger="http_mcp"):
        server = make_server([], key=None)
        wire = wire_of(server)
        assert warnings() == []
        await result_of(wire, "greet")
        assert warnings() == []
        first = await result_of(wire, "confirm")
        [warning] = warnings()
        assert "request_state_key" in warning.getMessage()
        await result_of(wire, "confirm")
        second = await result_of(
            wire, "confirm", responses={"confirm": accept(ok=True)}, state=first["requestState"]
        )
        assert text_of(second).startswith("state-ok")
        assert len(warnings()) == 1
        keyed = wire_of(make_server([]))
        await result_of(keyed, "confirm")
        assert len(warnings()) == 1


def test_random_keys_differ_between_servers() -> None:
    first, second = RequestStateCodec(None), RequestStateCodec(None)
    state = first.seal("tools/call:x", 1)
    assert first.open("tools/call:x", state) == 1
    with pytest.raises(Exception, match="Invalid requestState"):
        second.open("tools/call:x", state)


@pytest.mark.parametrize("key", ["short", b"0123456789abcde"])
def test_a_key_shorter_than_sixteen_bytes_is_refused(key: str | bytes) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        make_server([], key=key)


# -- refused requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "capabilities", "required"),
    [
        ("greet", {}, {"elicitation": {}}),
        ("greet", {"sampling": {}, "roots": {}}, {"elicitation": {}}),
        ("capital", {"elicitation": {}}, {"sampling": {}}),
        ("list_roots", {"sampling": {}}, {"roots": {}}),
        ("everything", {"roots": {"listChanged": True}}, {"elicitation": {}, "sampling": {}}),
    ],
)
async def test_asking_for_an_undeclared_capability_is_missing_required_capability(
    wire_of: WireOf, tool: str, capabilities: dict[str, Any], required: dict[str, Any]
) -> None:
    response = await call(wire_of(make_server([])), tool, capabilities=capabilities)
    error = error_of(response)
    assert error["code"] == -32021
    assert error["data"] == {"requiredCapabilities": required}


async def test_a_prompt_asking_for_an_undeclared_capability_is_refused_too(
    wire_of: WireOf,
) -> None:
    response = await call(
        wire_of(make_server([])), "with_context", method="prompts/get", capabilities={}
    )
    error = error_of(response)
    assert error["code"] == -32021
    assert error["data"] == {"requiredCapabilities": {"elicitation": {}}}


@pytest.mark.parametrize(
    ("tool", "responses"),
    [
        ("greet", None),
        ("greet", "user_name"),
        ("greet", ["user_name"]),
        ("greet", {"user_name": 12345}),
        ("greet", {"user_name": {"action": "maybe"}}),
        ("greet", {"user_name": {"action": "accept", "content": "Alice"}}),
        ("capital", {"capital_question": {"role": "assistant"}}),
        ("capital", {"capital_question": {"role": "system", "content": {}}}),
        ("list_roots", {"client_roots": {"roots": "file:///"}}),
        ("list_roots", {"client_roots": {"roots": [{"name": "no uri"}]}}),
    ],
)
async def test_invalid_input_responses_are_invalid_params(
    wire_of: WireOf, tool: str, responses: Any
) -> None:
    params: dict[str, Any] = {"name": tool, "arguments": {}, "inputResponses": responses}
    body, headers = modern_request("tools/call", params)
    body["params"]["_meta"][CAPABILITIES_META] = ALL_CAPABILITIES
    response = await wire_of(make_server([])).post(body, headers)
    error = error_of(response)
    assert error["code"] == -32602


async def test_at_the_handshake_wire_a_tool_asking_for_input_is_an_error_result(
    wire_of: WireOf,
) -> None:
    response = await wire_of(make_server([])).post(
        legacy_request("tools/call", {"name": "greet", "arguments": {}}),
        {"mcp-protocol-version": LEGACY},
    )
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["isError"] is True
    [block] = result["content"]
    assert "2026-07-28" in block["text"]
    assert LEGACY in block["text"]
    assert "inputRequests" not in result


async def test_at_the_handshake_wire_a_prompt_asking_for_input_is_an_internal_error(
    wire_of: WireOf,
) -> None:
    response = await wire_of(make_server([])).post(
        legacy_request("prompts/get", {"name": "with_context"}),
        {"mcp-protocol-version": LEGACY},
    )
    error = error_of(response, status=200)
    assert error["code"] == -32603
    assert "2026-07-28" in error["message"]


def test_input_required_needs_a_request_or_a_state() -> None:
    with pytest.raises(ValueError, match="at least one request or a state"):
        InputRequired({})
    with pytest.raises(TypeError, match="must be Elicitation, Sampling or ListRoots"):
        InputRequired({"x": "What is your name?"})  # type: ignore[dict-item]


def test_an_elicitation_schema_may_be_a_plain_json_schema() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    assert Elicitation("Please confirm", schema).to_wire() == {
        "method": "elicitation/create",
        "params": {"mode": "form", "message": "Please confirm", "requestedSchema": schema},
    }


# -- the official SDK client -------------------------------------------------------------------


async def on_elicit(
    context: ClientRequestContext, params: sdk.ElicitRequestParams
) -> sdk.ElicitResult:
    assert isinstance(params, sdk.ElicitRequestFormParams)
    properties = params.requested_schema["properties"]
    if "name" in properties:
        return sdk.ElicitResult(action="accept", content={"name": "Alice"})
    if "color" in properties:
        return sdk.ElicitResult(action="accept", content={"color": "blue"})
    if "ok" in properties:
        return sdk.ElicitResult(action="accept", content={"ok": True})
    return sdk.ElicitResult(action="accept", content={"context": "test context"})


async def on_sample(
    context: ClientRequestContext, params: sdk.CreateMessageRequestParams
) -> sdk.CreateMessageResult:
    return sdk.CreateMessageResult(
        role="assistant",
        content=sdk.TextContent(type="text", text=f"Hi ({params.max_tokens} tokens)"),
        model="test-model",
        stop_reason="endTurn",
    )


async def on_roots(context: ClientRequestContext) -> sdk.ListRootsResult:
    return sdk.ListRootsResult(roots=[sdk.Root(uri="file:///work", name="work")])


def sdk_text(result: sdk.CallToolResult) -> str:
    assert not result.is_error
    [block] = result.content
    assert isinstance(block, sdk.TextContent)
    return block.text


async def test_sdk_client_callbacks_answer_and_the_call_completes(live: Any) -> None:
    runs: list[str] = []
    url = live(Starlette(routes=[Route("/mcp", make_server(runs).app)])).url
    async with Client(
        url,
        read_timeout_seconds=10,
        elicitation_callback=on_elicit,
        sampling_callback=on_sample,
        list_roots_callback=on_roots,
    ) as client:
        assert client.protocol_version == MODERN
        assert sdk_text(await client.call_tool("greet", {})) == "Hello, Alice!"
        assert sdk_text(await client.call_tool("capital", {})) == (
            "Sampling result: Hi (100 tokens) (test-model, endTurn)"
        )
        assert sdk_text(await client.call_tool("list_roots", {})) == (
            "Found 1 root(s): file:///work (work)"
        )
        assert sdk_text(await client.call_tool("everything", {})) == (
            "Hi (50 tokens), Alice: 1 root(s), all three"
        )
        assert sdk_text(await client.call_tool("wizard", {})) == "Alice likes blue"
        confirmed = sdk_text(await client.call_tool("confirm", {}))
        assert confirmed.startswith("state-ok {'ticket': 7")
        prompt = await client.get_prompt("with_context")
        [message] = prompt.messages
        assert isinstance(message.content, sdk.TextContent)
        assert message.content.text == "Prompt with context: test context"
    assert runs.count("greet") == 2
    assert runs.count("wizard 1") == 2


async def test_sdk_client_without_the_callback_gets_missing_required_capability(
    live: Any,
) -> None:
    url = live(Starlette(routes=[Route("/mcp", make_server([]).app)])).url
    async with Client(url, read_timeout_seconds=10, sampling_callback=on_sample) as client:
        assert client.protocol_version == MODERN
        with pytest.raises(MCPError) as refused:
            await client.call_tool("greet", {})
        assert refused.value.error.code == -32021
        assert refused.value.error.data == {"requiredCapabilities": {"elicitation": {}}}
        result = await client.call_tool("adaptive", {})
        assert sdk_text(result) == "answered ['sample']"


async def test_sdk_client_at_the_handshake_wire_gets_an_error_result_naming_2026(
    live: Any,
) -> None:
    url = live(Starlette(routes=[Route("/mcp", make_server([]).app)])).url
    async with Client(
        url, mode="legacy", read_timeout_seconds=10, elicitation_callback=on_elicit
    ) as client:
        assert client.protocol_version == LEGACY
        result = await client.call_tool("greet", {})
        assert result.is_error
        [block] = result.content
        assert isinstance(block, sdk.TextContent)
        assert "2026-07-28" in block.text
        with pytest.raises(MCPError) as prompt_error:
            await client.get_prompt("with_context")
        assert prompt_error.value.error.code == -32603
