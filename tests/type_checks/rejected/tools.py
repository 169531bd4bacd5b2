"""Tool declarations whose function disagrees with `inputs=` / `output=`: every one must fail."""

from __future__ import annotations

from http_mcp.types import Arguments, Tool
from tests.type_checks.models import (
    Answer,
    Other,
    Query,
    answer,
    answer_as_text,
    answer_async,
    status,
)


def takes_the_model(query: Query) -> Answer:
    return Answer(text=query.text)


# expect mypy: "func" to "Tool" has incompatible type "Callable[[Arguments[Query]], Answer]"
# expect pyright: reportArgumentType
Tool(func=answer, inputs=Other)

# expect mypy: No overload variant of "Tool" matches argument types "Callable[[Arguments[Query]]
# expect pyright: reportArgumentType
Tool(func=answer, output=Other)

# expect mypy: No overload variant of "Tool" matches argument types "Callable[[Arguments[Query]]
# expect pyright: reportArgumentType
Tool(func=answer_async, inputs=Query, output=Other)

# expect mypy: No overload variant of "Tool" matches argument types "Callable[[Arguments[Query]]
# expect pyright: reportArgumentType
Tool(func=answer_as_text, output=Answer)

# expect mypy: Argument "func" to "Tool" has incompatible type "Callable[[Query], Answer]"
# expect pyright: reportArgumentType
Tool(func=takes_the_model, inputs=Query)

# expect mypy: Argument "scopes" to "Tool" has incompatible type "tuple[str, int]"
# expect pyright: reportArgumentType
Tool(func=status, scopes=("mcp:read", 1))


def returns_a_number(arguments: Arguments[Query]) -> int:
    return 1


# expect mypy: Argument "func" to "Tool" has incompatible type "Callable[[Arguments[Query]], int]"
# expect pyright: reportArgumentType
Tool(func=returns_a_number)
