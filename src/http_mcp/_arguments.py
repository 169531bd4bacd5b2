"""What a tool or prompt function receives: its validated inputs and the request around them."""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request

from http_mcp._call import Call
from http_mcp._channel import Channel, LogLevel
from http_mcp._concurrency import run_from_thread
from http_mcp._input import (
    ElicitationResponse,
    InputRound,
    RootsResponse,
    SamplingResponse,
    parse_response,
)

TInputs = TypeVar("TInputs", bound=BaseModel)
TValue = TypeVar("TValue")


class NoArguments(BaseModel):
    """Inputs of a tool or prompt that takes none. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


_set = object.__setattr__


@dataclass(frozen=True, slots=True, init=False)
class Arguments(Generic[TInputs]):
    """The single parameter of a tool or prompt function.

    Attributes:
        inputs: The validated input model.
        request: The Starlette request being answered (a stand-in under STDIO).

    Progress and log messages reach the client before the result, on the same response.
    Async functions `await` `report_progress` and `log`; sync functions (run in a worker
    thread) call `report_progress_sync` and `log_sync`.

    Example:
        ```python
        async def lookup(arguments: Arguments[LookupInput]) -> LookupOutput:
            db = arguments.get_state_key("db", Database)
            return await db.find(arguments.inputs.vulnerability_id)
        ```
    """

    inputs: TInputs
    request: Request
    # The channel, or the call whose channel it is: most tools never report progress or log,
    # so the server's `Arguments` builds it only when first asked (`channel`).
    _channel: Channel | Call = field(repr=False, compare=False)
    input_round: InputRound = field(default_factory=InputRound, repr=False)

    # Written out: one is made per call, and this costs half the generated `__init__`.
    def __init__(
        self,
        inputs: TInputs,
        request: Request,
        channel: Channel | None = None,
        input_round: InputRound | None = None,
    ) -> None:
        _set(self, "inputs", inputs)
        _set(self, "request", request)
        _set(self, "_channel", Channel() if channel is None else channel)
        _set(self, "input_round", InputRound() if input_round is None else input_round)

    @property
    def channel(self) -> Channel:
        """This request's notifications (progress, log messages) and its cancel flag."""
        channel = self._channel
        if isinstance(channel, Channel):
            return channel
        channel = channel.channel
        _set(self, "_channel", channel)
        return channel

    @property
    def client_capabilities(self) -> Mapping[str, Any]:
        """What the client declared it can do.

        At 2026-07-28 each request declares it; at the handshake revisions it is what the
        client declared at `initialize` when the transport remembers it (STDIO, or HTTP with
        `MCPServer(back_channel=True)`), else empty.
        """
        return self.input_round.client_capabilities

    @property
    def request_state(self) -> Any:
        """The `state` of the `InputRequired` this request is a retry of, verified; or `None`."""
        return self.input_round.state

    @property
    def input_responses(self) -> Mapping[str, Any]:
        """The client's raw answers to an earlier `InputRequired`, by key."""
        return self.input_round.responses

    def elicitation(self, key: str) -> ElicitationResponse | None:
        """The user's answer to the `Elicitation` asked under `key`, or `None` if not given.

        An answer of the wrong shape is refused as invalid params (-32602).
        """
        result: ElicitationResponse | None = parse_response(
            self.input_round, key, ElicitationResponse
        )
        return result

    def sampling(self, key: str) -> SamplingResponse | None:
        """The client model's answer to the `Sampling` asked under `key`, or `None`."""
        result: SamplingResponse | None = parse_response(self.input_round, key, SamplingResponse)
        return result

    def roots(self, key: str) -> RootsResponse | None:
        """The client's roots, asked for under `key` with `ListRoots`, or `None`."""
        result: RootsResponse | None = parse_response(self.input_round, key, RootsResponse)
        return result

    @property
    def progress_token(self) -> str | int | None:
        """The token the client asked progress under (`_meta.progressToken`), or `None`."""
        return self.channel.progress_token

    @property
    def cancelled(self) -> bool:
        """Whether the client has gone away or cancelled the request.

        Async functions are cancelled outright; a sync function cannot be interrupted, so a
        long one should check this flag and return early.
        """
        return self.channel.cancelled.is_set()

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Tell the client how far the work has come.

        Sent only when the client asked for progress (a `progressToken` in the request's
        `_meta`). Each value must be larger than the last; one that is not is dropped.
        """
        await self.channel.progress(progress, total, message)

    async def log(self, level: LogLevel, data: Any, *, logger: str | None = None) -> None:
        """Send a log message (`notifications/message`) to the client.

        Sent only at or above the level the request asked for; at 2026-07-28 a request that
        names no level (`io.modelcontextprotocol/logLevel` in `_meta`) gets none.
        """
        await self.channel.log(level, data, logger)

    async def close_stream(self) -> None:
        """End the response's event stream now; the client reconnects and gets the result.

        For long calls behind proxies that cut idle connections, or to free the connection
        (SEP-1699 polling): the stream ends before the result, the call goes on, and the client
        resumes it with `GET` and `Last-Event-ID` on any replica, receiving what follows. Only
        where streams are resumable (`MCPServer(back_channel=True)`, a handshake revision, over
        HTTP); elsewhere it does nothing.
        """
        close = self.channel.close_stream
        if close is not None:
            await close()

    def report_progress_sync(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """`report_progress` for sync functions, which run in a worker thread."""
        run_from_thread(functools.partial(self.report_progress, progress, total, message))

    def log_sync(self, level: LogLevel, data: Any, *, logger: str | None = None) -> None:
        """`log` for sync functions, which run in a worker thread."""
        run_from_thread(functools.partial(self.log, level, data, logger=logger))

    def get_state_key(self, key: str, value_type: type[TValue]) -> TValue:
        """Return the lifespan state value `key`, checked to be a `value_type`.

        The state is what the application's lifespan yielded (`yield {"db": db}`). A
        parameterised generic such as `dict[str, str]` is checked against its class (`dict`):
        the value's contents are not checked.

        Raises:
            KeyError: the lifespan state has no such key.
            TypeError: the value is not a `value_type`, or `value_type` is not something
                `isinstance` can check (a `Literal`, a type variable...).
        """
        expected = runtime_class(key, value_type)
        state = self.request.scope.get("state") or {}
        if key not in state:
            raise KeyError(
                f"the lifespan state has no key {key!r}; yield a dict holding it from the "
                "application's lifespan"
            )
        value = state[key]
        if not isinstance(value, expected):
            raise TypeError(
                f"lifespan state {key!r} is a {type(value).__name__}, not a {_show(value_type)}"
            )
        return typing.cast(TValue, value)


def runtime_class(key: str, value_type: Any) -> type:
    """What `isinstance` can check a value of `value_type` with: `dict[str, str]` -> `dict`."""
    origin = typing.get_origin(value_type)
    if isinstance(origin, type):
        return origin
    if isinstance(value_type, type):
        return value_type
    raise TypeError(
        f"get_state_key({key!r}, {_show(value_type)}) cannot check a value against that; "
        "give a class, such as Database or dict[str, str]"
    )


def _show(value_type: Any) -> str:
    if isinstance(value_type, type) and not typing.get_args(value_type):
        return value_type.__name__
    return repr(value_type).replace("typing.", "")


def call_arguments(wanted: bool, inputs: BaseModel, call: Call) -> tuple[Arguments[Any], ...]:
    """What a tool or prompt function is called with: its `Arguments`, or nothing."""
    if not wanted:
        return ()
    arguments: Arguments[Any] = Arguments.__new__(Arguments)
    _set(arguments, "inputs", inputs)
    _set(arguments, "request", call.request)
    _set(arguments, "_channel", call)  # the call's channel, made if the function asks for it
    _set(arguments, "input_round", call.input_round)
    return (arguments,)
