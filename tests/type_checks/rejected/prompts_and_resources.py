"""Prompt and resource declarations whose function disagrees with its inputs: all must fail."""

from __future__ import annotations

from http_mcp.types import Arguments, Prompt, Resource, ResourceTemplate
from tests.type_checks.models import Other, Query, note, prompt, status


def returns_a_number(arguments: Arguments[Query]) -> int:
    return 1


def suggest_from_numbers(value: str, context: dict[str, int]) -> list[str]:
    return [value]


# expect mypy: "func" to "Prompt" has incompatible type "Callable[[Arguments[Query]], list[Prompt
# expect pyright: reportArgumentType
Prompt(func=prompt, arguments_type=Other)

# expect mypy: "func" to "Prompt" has incompatible type "Callable[[Arguments[Query]], list[Prompt
# expect pyright: reportArgumentType
Prompt(func=prompt, inputs=Other)

# expect mypy: Argument "func" to "Prompt" has incompatible type "Callable[[Arguments[Query]], int]"
# expect pyright: reportArgumentType
Prompt(func=returns_a_number)

# expect mypy: Dict entry 0 has incompatible type "str": "Callable[[str, dict[str, int]], list
# expect pyright: reportArgumentType
Prompt(func=prompt, completions={"text": suggest_from_numbers})

# expect mypy: "func" to "ResourceTemplate" has incompatible type "Callable[[Arguments[Note]], str]"
# expect pyright: reportArgumentType
ResourceTemplate(uri_template="notes://{name}", func=note, params=Query)

# expect mypy: "func" to "Resource" has incompatible type "Callable[[Arguments[Note]], str]"
# expect pyright: reportArgumentType
Resource(uri="notes://all", func=note)

# expect mypy: Argument "scopes" to "Resource" has incompatible type "tuple[int]"
# expect pyright: reportArgumentType
Resource(uri="notes://all", func=status, scopes=(1,))
