"""A registered prompt: its argument list built once, a get turned into a `GetPromptResult`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from http_mcp._arguments import call_arguments
from http_mcp._call import Call
from http_mcp._concurrency import invoke, is_async
from http_mcp._declarations import Prompt, default_description, default_name, takes_arguments
from http_mcp._input import InputRequired, InvalidInputResponseError
from http_mcp._validation import describe
from http_mcp._wire import PromptMessage, TextContent
from http_mcp.exceptions import ToolError
from http_mcp.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, JSONRPCError

logger = logging.getLogger("http_mcp")


@dataclass(frozen=True, slots=True, eq=False)
class RegisteredPrompt:
    prompt: Prompt[Any]
    name: str
    description: str
    scopes: frozenset[str]
    schema: dict[str, Any]
    definition: dict[str, Any]
    wants_arguments: bool
    is_coroutine: bool

    @classmethod
    def build(cls, prompt: Prompt[Any]) -> RegisteredPrompt:
        name = prompt.name or default_name(prompt.func)
        description = prompt.description or default_description(prompt.func)
        schema = prompt.inputs.model_json_schema(by_alias=True)
        required = set(schema.get("required", ()))
        arguments = []
        for arg_name, prop in schema.get("properties", {}).items():
            argument = {"name": arg_name}
            if "description" in prop:
                argument["description"] = prop["description"]
            argument["required"] = arg_name in required
            arguments.append(argument)
        definition: dict[str, Any] = {"name": name}
        if prompt.title is not None:
            definition["title"] = prompt.title
        definition["description"] = description
        definition["arguments"] = arguments
        return cls(
            prompt=prompt,
            name=name,
            description=description,
            scopes=frozenset(prompt.scopes),
            schema=schema,
            definition=definition,
            wants_arguments=takes_arguments(prompt.func),
            is_coroutine=is_async(prompt.func),
        )

    async def get(self, arguments: dict[str, Any], call: Call) -> dict[str, Any] | InputRequired:
        try:
            inputs = self.prompt.arguments_type.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(describe(exc, self.schema))
            raise JSONRPCError(
                INVALID_PARAMS, f"Invalid arguments for prompt {self.name!r}: {problems}"
            ) from None
        args = call_arguments(self.wants_arguments, inputs, call)
        try:
            value = await invoke(self.prompt.func, self.is_coroutine, *args)
            if isinstance(value, InputRequired):
                return value
            messages = _messages(value)
        except InvalidInputResponseError as exc:
            raise JSONRPCError(INVALID_PARAMS, f"Invalid params: {exc}") from None
        except ToolError as exc:
            raise JSONRPCError(INTERNAL_ERROR, str(exc) or "the prompt failed") from None
        except Exception:
            logger.exception("prompt %r raised", self.name)
            raise JSONRPCError(
                INTERNAL_ERROR, f"Prompt {self.name!r} failed on the server."
            ) from None
        return {"description": self.description, "messages": messages}


def _messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [PromptMessage(role="user", content=TextContent(text=value)).to_wire()]
    if isinstance(value, PromptMessage):
        return [value.to_wire()]
    if isinstance(value, Sequence) and all(isinstance(m, PromptMessage) for m in value):
        return [m.to_wire() for m in value]
    raise TypeError(f"a prompt returns PromptMessage objects or a str, got {type(value).__name__}")
