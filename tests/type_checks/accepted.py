"""Declarations the type checkers must accept, and what they infer (checked by mypy and pyright)."""

# pyright: strict

from __future__ import annotations

from typing import Any, assert_type

from http_mcp import MCPServer
from http_mcp.types import (
    CompletionContext,
    NoArguments,
    Prompt,
    Resource,
    ResourceTemplate,
    Tool,
)
from tests.type_checks.models import (
    Answer,
    Note,
    Query,
    answer,
    answer_as_text,
    answer_async,
    answer_or_ask,
    note,
    prompt,
    report,
    status,
)

explicit = Tool(func=answer, inputs=Query, output=Answer, scopes=("mcp:read",))
assert_type(explicit, Tool[Query, Answer])
assert_type(Tool(func=answer), Tool[Query, Answer])
assert_type(Tool(func=answer_async, output=Answer), Tool[Query, Answer])
assert_type(Tool(func=answer_or_ask, inputs=Query, output=Answer), Tool[Query, Answer])
assert_type(Tool(func=answer_as_text), Tool[Query, str])
# pyright leaves the input model of a function without parameter unsolved (no default).
assert_type(Tool(func=status), Tool[NoArguments, str])  # pyright: ignore[reportAssertTypeFailure]

Tool(func=answer, scopes=["mcp:read", "mcp:write"])
Tool(func=answer, scopes=frozenset({"mcp:read"}))

assert_type(Prompt(func=prompt), Prompt[Query])
assert_type(Prompt(func=prompt, arguments_type=Query), Prompt[Query])
assert_type(Prompt(func=status), Prompt[NoArguments])  # pyright: ignore[reportAssertTypeFailure]

template = ResourceTemplate(uri_template="notes://{name}", func=note, params=Note)
assert_type(template, ResourceTemplate[Note])
assert_type(ResourceTemplate(uri_template="notes://{name}", func=note), ResourceTemplate[Note])


def complete_name(value: str, context: CompletionContext) -> list[str]:
    return [value, *context.values()]


tools: list[Tool[Any, Any]] = [explicit, Tool(func=status)]
server = MCPServer(
    name="s",
    version="1",
    tools=[*tools, Tool(func=answer_as_text, name="echo")],
    prompts=(Prompt(func=prompt, completions={"text": complete_name}),),
    resources=(Resource(uri="reports://latest", func=report), template),
)

mixed = [explicit, Tool(func=status)]
MCPServer(name="s", version="1", tools=mixed)
