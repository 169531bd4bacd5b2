"""`InputRequired` at the handshake revisions: the server asks the client itself, mid-call.

At 2026-07-28 a tool's `InputRequired` goes back to the client as a result, and the client
repeats the call with its answers. The handshake revisions (2025-11-25 and older) have no such
result. There the server sends each request to the client on a channel the transport offers
(`RequestContext.ask`: the call's event stream over HTTP, the pipe over STDIO), waits for the
answers and runs the tool or prompt again with them and with its state, as the client's retry
would, until it finishes. The same tool code thus works at every revision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import anyio
import anyio.abc

from http_mcp._call import Call
from http_mcp._context import Ask
from http_mcp._input import InputRequest, InputRequired, InputRound
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import INTERNAL_ERROR, JSONRPCError

MAX_ROUNDS: Final = 10
"""How many times one call may ask the client before it ends with an error."""

Outcome = dict[str, Any] | InputRequired
_NO_CHANNEL: Final = (
    "This needs input from the client ({}), which protocol {} cannot carry on this connection: "
    "the server sends such requests on the call's event stream when it is configured with "
    "back_channel=True and the client accepts text/event-stream; or connect with protocol "
    "2026-07-28."
)


async def ask_client(
    call: Call, outcome: InputRequired, rerun: Callable[[], Awaitable[Outcome]]
) -> dict[str, Any]:
    """Ask the client what `outcome` needs, then `rerun` with the answers, until a result.

    Returns the final result; a call that cannot ask, or whose client does not answer, ends
    with an error result (a tool) or raises `JSONRPCError` (a prompt).
    """
    ask = call.context.ask
    for _ in range(MAX_ROUNDS):
        if ask is None:
            return _failure(call, _NO_CHANNEL.format(_methods(outcome), call.version))
        missing = sorted(
            {r.capability for r in outcome.requests.values()} - set(call.client_capabilities)
        )
        if missing:
            return _failure(
                call,
                f"This needs the client capabilities {', '.join(missing)}, which the client "
                "did not declare at initialize.",
            )
        problem, answers = await _answers(call, ask, outcome.requests)
        if problem is not None:
            return _failure(call, problem)
        call.next_round(InputRound(answers, outcome.state, call.client_capabilities))
        following = await rerun()
        if not isinstance(following, InputRequired):
            return following
        outcome = following
    return _failure(call, f"This still needed input from the client after {MAX_ROUNDS} rounds.")


async def _answers(
    call: Call, ask: Ask, requests: Mapping[str, InputRequest]
) -> tuple[str | None, dict[str, Any]]:
    """The client's answers by key, or what went wrong (all are asked at once)."""
    answers: dict[str, Any] = {}
    problems: list[str] = []

    async def one(key: str, request: InputRequest, group: anyio.abc.TaskGroup) -> None:
        wire = request.to_wire()
        try:
            answers[key] = await ask(wire["method"], wire["params"])
            return
        except JSONRPCError as exc:
            problems.append(f"The client answered {wire['method']} with an error: {exc.message}")
        except StoreUnavailableError:
            problems.append(
                "The server cannot reach its store to wait for the client's answer; try again."
            )
        group.cancel_scope.cancel()  # one failed: the others are not worth waiting for

    timeout = call.registry.back_channel_timeout_s
    with anyio.move_on_after(timeout) as scope:
        async with anyio.create_task_group() as group:
            for key, request in requests.items():
                group.start_soon(one, key, request, group)
    if scope.cancelled_caught:
        return f"The client did not answer within {timeout:g} seconds.", answers
    return (problems[0] if problems else None), answers


def answer_of(result: Any, error: Any) -> dict[str, Any]:
    """The result a client answered a request of the server's with (for transports).

    Raises:
        JSONRPCError: the client answered with an error.
    """
    if isinstance(error, Mapping):
        code, message = error.get("code"), error.get("message")
        raise JSONRPCError(
            code if isinstance(code, int) else INTERNAL_ERROR,
            message if isinstance(message, str) else "the client gave no reason",
        )
    return result if isinstance(result, dict) else {}


def _failure(call: Call, text: str) -> dict[str, Any]:
    if call.method.name == "tools/call":
        return {"content": [{"type": "text", "text": text}], "isError": True}
    raise JSONRPCError(INTERNAL_ERROR, text)


def _methods(outcome: InputRequired) -> str:
    names = sorted({r.to_wire()["method"] for r in outcome.requests.values()})
    return ", ".join(names) or "a retry with its state"
