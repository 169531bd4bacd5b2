"""Asking the client for input mid-request (2026-07-28 `InputRequiredResult`).

A tool or prompt that needs something only the client can give (the user's answer, a model
completion, the client's roots) returns `InputRequired`. The client gathers the answers and
repeats the request with them, and with the `requestState` the server handed out, which may
reach any replica: nothing is remembered in between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from http_mcp._wire import ContentBlock, WireModel


class ElicitationResponse(WireModel):
    """The client's answer to an `Elicitation`."""

    model_config = WireModel.model_config | {"extra": "ignore"}

    action: Literal["accept", "decline", "cancel"]
    content: dict[str, Any] | None = None


class SamplingResponse(WireModel):
    """The client's answer to a `Sampling` request: what its model said."""

    model_config = WireModel.model_config | {"extra": "ignore"}

    role: Literal["user", "assistant"] = "assistant"
    content: Any
    model: str | None = None
    stop_reason: str | None = None

    @property
    def text(self) -> str | None:
        """The text of a single text content block, if that is what came back."""
        content = self.content
        if isinstance(content, dict) and content.get("type") == "text":
            return str(content.get("text"))
        return None


class Root(WireModel):
    """One of the client's roots: a URI and an optional name."""

    model_config = WireModel.model_config | {"extra": "ignore"}

    uri: str
    name: str | None = None


class RootsResponse(WireModel):
    """The client's answer to a `ListRoots` request."""

    model_config = WireModel.model_config | {"extra": "ignore"}

    roots: list[Root]


@dataclass(frozen=True, slots=True)
class Elicitation:
    """Ask the user a question through a form (`elicitation/create`).

    Args:
        message: What to ask.
        schema: A Pydantic model (flat, primitive fields) or a JSON Schema object for the form.
    """

    message: str
    schema: type[BaseModel] | Mapping[str, Any]

    capability = "elicitation"

    def to_wire(self) -> dict[str, Any]:
        """The request as the client receives it in `inputRequests`."""
        schema = self.schema
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            requested = schema.model_json_schema(by_alias=True)
        else:
            requested = dict(schema)
        return {
            "method": "elicitation/create",
            "params": {"mode": "form", "message": self.message, "requestedSchema": requested},
        }


@dataclass(frozen=True, slots=True)
class SamplingMessage:
    role: Literal["user", "assistant"]
    content: ContentBlock


@dataclass(frozen=True, slots=True)
class Sampling:
    """Ask the client's model for a completion (`sampling/createMessage`).

    Args:
        messages: The conversation so far; a `str` is one user message.
        max_tokens: The most tokens the client's model may produce.
        system_prompt: Optional system prompt.
    """

    messages: str | Sequence[SamplingMessage]
    max_tokens: int
    system_prompt: str | None = None

    capability = "sampling"

    def to_wire(self) -> dict[str, Any]:
        """The request as the client receives it in `inputRequests`."""
        if isinstance(self.messages, str):
            messages = [{"role": "user", "content": {"type": "text", "text": self.messages}}]
        else:
            messages = [{"role": m.role, "content": m.content.to_wire()} for m in self.messages]
        params: dict[str, Any] = {"messages": messages, "maxTokens": self.max_tokens}
        if self.system_prompt is not None:
            params["systemPrompt"] = self.system_prompt
        return {"method": "sampling/createMessage", "params": params}


@dataclass(frozen=True, slots=True)
class ListRoots:
    """Ask the client for its roots (`roots/list`)."""

    capability = "roots"

    def to_wire(self) -> dict[str, Any]:
        """The request as the client receives it in `inputRequests`."""
        return {"method": "roots/list", "params": {}}


InputRequest = Elicitation | Sampling | ListRoots


@dataclass(frozen=True, slots=True)
class InputRequired:
    """Returned by a tool or prompt that needs input from the client before it can finish.

    Args:
        requests: What to ask, by a key of your choosing; the answers come back under the same
            keys (`Arguments.elicitation("key")`, ...).
        state: Anything JSON-serializable to get back on the retry
            (`Arguments.request_state`). It is signed, so the client cannot alter it.

    Example:
        ```python
        if arguments.elicitation("confirm") is None:
            return InputRequired({"confirm": Elicitation("Delete it?", Confirm)}, state={"id": 7})
        ```
    """

    requests: Mapping[str, InputRequest]
    state: Any = None

    def __post_init__(self) -> None:
        if not self.requests and self.state is None:
            raise ValueError("InputRequired needs at least one request or a state")
        for key, request in self.requests.items():
            if not isinstance(request, Elicitation | Sampling | ListRoots):
                raise TypeError(
                    f"InputRequired request {key!r} must be Elicitation, Sampling or ListRoots"
                )


@dataclass(slots=True)
class InputRound:
    """What a retried request brought back: the client's answers and the verified state."""

    responses: Mapping[str, Any] = field(default_factory=dict)
    state: Any = None
    client_capabilities: Mapping[str, Any] = field(default_factory=dict)


class InvalidInputResponseError(Exception):
    """An answer in `inputResponses` does not have the shape its request asked for."""


def parse_response(round_: InputRound, key: str, model: type[WireModel]) -> Any:
    raw = round_.responses.get(key)
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        raise InvalidInputResponseError(
            f"inputResponses.{key} is not a valid {model.__name__}"
        ) from None
