"""A registered tool: schemas built once, a call turned into a `CallToolResult`."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic_core import to_json

from http_mcp._arguments import NoArguments, call_arguments
from http_mcp._call import Call
from http_mcp._concurrency import invoke, is_async
from http_mcp._declarations import Tool, default_description, default_name, takes_arguments
from http_mcp._input import InputRequired, InvalidInputResponseError
from http_mcp._protocol import ParamHeader, param_headers
from http_mcp._results import ToolResult
from http_mcp._validation import describe
from http_mcp._wire import ContentBlock
from http_mcp.exceptions import ToolError
from http_mcp.jsonrpc import INVALID_PARAMS, JSONRPCError

logger = logging.getLogger("http_mcp")


class ToolErrorMessage(BaseModel):
    """The declared error variant of a tool with `return_error_message=True`."""

    error: str = Field(
        description="What was wrong with the call, one line per problem. "
        "Correct the arguments and call the tool again."
    )


class OutputTypeError(Exception):
    """A tool returned something other than its declared output."""


@dataclass(frozen=True, slots=True, eq=False)
class RegisteredTool:
    tool: Tool[Any, Any]
    name: str
    scopes: frozenset[str]
    input_schema: dict[str, Any]
    definition: dict[str, Any]
    wants_arguments: bool
    is_coroutine: bool
    param_headers: tuple[ParamHeader, ...]

    @classmethod
    def build(cls, tool: Tool[Any, Any]) -> RegisteredTool:
        name = tool.name or default_name(tool.func)
        if tool.input_schema is not None:
            input_schema = copy.deepcopy(dict(tool.input_schema))
        elif tool.inputs is NoArguments:
            input_schema = {"type": "object", "properties": {}}
        else:
            input_schema = _object_schema(tool.inputs.model_json_schema(by_alias=True))
        definition: dict[str, Any] = {"name": name}
        if tool.title is not None:
            definition["title"] = tool.title
        definition["description"] = tool.description or default_description(tool.func)
        definition["inputSchema"] = input_schema
        if tool.output is not None:
            definition["outputSchema"] = _output_schema(tool.output, tool.return_error_message)
        if tool.annotations is not None:
            definition["annotations"] = tool.annotations.to_wire()
        return cls(
            tool=tool,
            name=name,
            scopes=frozenset(tool.scopes),
            input_schema=input_schema,
            definition=definition,
            wants_arguments=takes_arguments(tool.func),
            is_coroutine=is_async(tool.func),
            param_headers=param_headers(input_schema),
        )

    async def call(self, arguments: dict[str, Any], call: Call) -> dict[str, Any] | InputRequired:
        """Run the tool; every outcome but a request for input is a `CallToolResult`."""
        try:
            inputs = self.tool.inputs.model_validate(arguments)
        except ValidationError as exc:
            return self._failure("\n".join(describe(exc, self.input_schema)))
        try:
            func, given = self.tool.func, call_arguments(self.wants_arguments, inputs, call)
            # An async function's coroutine is awaited as it is: no frame of ours around it.
            value = await (func(*given) if self.is_coroutine else invoke(func, False, *given))
            if isinstance(value, InputRequired):
                return value
            return self._success(value)
        except InvalidInputResponseError as exc:
            raise JSONRPCError(INVALID_PARAMS, f"Invalid params: {exc}") from None
        except JSONRPCError:
            raise
        except ToolError as exc:
            return self._failure(str(exc) or "the tool failed")
        except OutputTypeError as exc:
            logger.error("tool %r returned a wrong output: %s", self.name, exc)
            return _error_result(f"Tool {self.name!r} failed on the server.")
        except Exception:
            logger.exception("tool %r raised", self.name)
            return _error_result(f"Tool {self.name!r} failed on the server.")

    async def ask_first(self, arguments: dict[str, Any], call: Call) -> InputRequired | None:
        """Run `before_task`: the input to ask for before a task starts, if any."""
        before = self.tool.before_task
        if before is None:
            return None
        try:
            inputs = self.tool.inputs.model_validate(arguments)
        except ValidationError:
            return None  # the task reports it, as a call would
        try:
            asked = await invoke(before, is_async(before), *call_arguments(True, inputs, call))
        except InvalidInputResponseError as exc:
            raise JSONRPCError(INVALID_PARAMS, f"Invalid params: {exc}") from None
        return asked if isinstance(asked, InputRequired) else None

    def _failure(self, text: str) -> dict[str, Any]:
        if not self.tool.return_error_message:
            return _error_result(text)
        result: dict[str, Any] = {"content": [{"type": "text", "text": text}], "isError": False}
        if self.tool.output is not None:
            result["structuredContent"] = {"error": text}
        return result

    def _success(self, value: Any) -> dict[str, Any]:
        output = self.tool.output
        extra: list[dict[str, Any]] = []
        if isinstance(value, ToolResult):
            extra = _content_blocks(list(value.content))
            value = value.output
        if output is None:
            return {"content": _content_blocks(value) + extra}
        if isinstance(value, dict):
            try:
                value = output.model_validate(value)
            except ValidationError as exc:
                raise OutputTypeError("; ".join(describe(exc, {}, root="output"))) from None
        if not isinstance(value, output):
            raise OutputTypeError(f"expected {output.__name__}, got {type(value).__name__}")
        structured = value.model_dump(mode="json", by_alias=True)
        text = to_json(structured).decode()
        # NaN and infinities are not JSON; a bare token in the text is the cheap first sign.
        if "NaN" in text or "Infinity" in text:
            where = non_finite(structured)
            if where is not None:
                logger.error("tool %r returned %s, which JSON cannot carry", self.name, where)
                return _error_result(
                    f"Tool {self.name!r} failed on the server: its output {where}, "
                    "which JSON cannot carry."
                )
        return {
            "content": [{"type": "text", "text": text}, *extra],
            "structuredContent": structured,
        }


def non_finite(value: Any) -> str | None:
    """Where `value` holds a NaN or an infinity (`field 'stats.mean' is nan`), or `None`."""
    found = _non_finite_path(value)
    if found is None:
        return None
    path, number = found
    return f"field {''.join(path).lstrip('.')!r} is {number}"


def _non_finite_path(value: Any) -> tuple[list[str], float] | None:
    if isinstance(value, float):
        return None if math.isfinite(value) else ([], value)
    if isinstance(value, dict):
        items: Any = ((f".{key}", item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for step, item in items:
        found = _non_finite_path(item)
        if found is not None:
            return [step, *found[0]], found[1]
    return None


def _error_result(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "isError": True}


def _content_blocks(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    if isinstance(value, ContentBlock):
        return [value.to_wire()]
    if isinstance(value, Sequence) and all(isinstance(v, ContentBlock) for v in value):
        return [v.to_wire() for v in value]
    raise OutputTypeError(
        f"a tool without `output` returns str, content blocks or None, got {type(value).__name__}"
    )


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def _output_schema(output: type[BaseModel], with_error: bool) -> dict[str, Any]:
    if not with_error:
        return _object_schema(output.model_json_schema(by_alias=True, mode="serialization"))
    union: TypeAdapter[Any] = TypeAdapter(Union[output, ToolErrorMessage])  # type: ignore[arg-type]  # noqa: UP007
    schema = union.json_schema(by_alias=True, mode="serialization")
    return {"type": "object", **schema}
