"""`Tool` and `Prompt`: what a user declares. Mistakes are reported here, at declaration."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from http_mcp._arguments import NoArguments
from http_mcp._wire import ToolAnnotations

Completer = Callable[[str, Mapping[str, str]], Sequence[str] | Awaitable[Sequence[str]]]


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model can call.

    Args:
        func: Sync or async function taking one `Arguments[inputs]` parameter, or none.
            Sync functions run in a worker thread.
        inputs: Pydantic model of the arguments; its JSON Schema is the tool's `inputSchema`.
        output: Pydantic model the function returns; its schema is the `outputSchema`. Without
            it the function returns text (a `str`), content blocks, or `None`.
        name: Defaults to the function's name.
        title: A display name for people.
        description: Defaults to the function's docstring.
        annotations: Behaviour hints (`ToolAnnotations`).
        return_error_message: Return invalid-input and `ToolError` messages as a declared
            variant of the output (`{"error": "..."}`, `isError: false`) so that clients that
            hide error results still show them to the model.
        scopes: Scopes the caller needs (all of them) to see and call the tool.
        input_schema: A JSON Schema to publish as `inputSchema` instead of the one derived
            from `inputs`, for JSON Schema features Pydantic does not generate
            (`if`/`then`/`else`, `$anchor`...). Arguments are still validated by `inputs`, so
            keep the two in agreement. Its root must be `{"type": "object", ...}`.

    Example:
        ```python
        tool = Tool(func=get_fix_metadata, inputs=FixMetadataInput, output=FixMetadataOutput,
                    return_error_message=True, scopes=("mcp:read",))
        ```
    """

    func: Callable[..., Any]
    inputs: type[BaseModel] = NoArguments
    output: type[BaseModel] | None = None
    name: str | None = None
    title: str | None = None
    description: str | None = None
    annotations: ToolAnnotations | None = None
    return_error_message: bool = False
    scopes: tuple[str, ...] = ()
    input_schema: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        _check_callable("Tool", self.func)
        if self.input_schema is not None and (
            not isinstance(self.input_schema, Mapping) or self.input_schema.get("type") != "object"
        ):
            raise TypeError('Tool input_schema must be a JSON Schema dict with "type": "object"')
        _check_model("Tool", "inputs", self.inputs)
        if self.output is not None:
            _check_model("Tool", "output", self.output)
        if self.annotations is not None and not isinstance(self.annotations, ToolAnnotations):
            raise TypeError("Tool annotations must be a ToolAnnotations instance")
        _check_texts("Tool", self.name, self.title, self.description)
        _check_named("Tool", self.func, self.name)
        object.__setattr__(self, "scopes", _check_scopes("Tool", self.scopes))
        check_arity("Tool", self.func, self.inputs)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A reusable message template the user can pick.

    Args:
        func: Sync or async function taking one `Arguments[arguments_type]` parameter, or none,
            and returning a sequence of `PromptMessage` (or a `str`, sent as one user message).
        arguments_type: Pydantic model of the prompt's arguments. Each field becomes an argument
            with its name (alias), description and whether it is required.
        name: Defaults to the function's name.
        title: A display name for people.
        description: Defaults to the function's docstring.
        scopes: Scopes the caller needs (all of them) to see and get the prompt.
        completions: Suggestions for argument values, by argument name: a sync or async
            function `(value, arguments) -> list[str]` given what the user typed so far and
            the arguments already chosen (`completion/complete`).
    """

    func: Callable[..., Any]
    arguments_type: type[BaseModel] = NoArguments
    name: str | None = None
    title: str | None = None
    description: str | None = None
    scopes: tuple[str, ...] = ()
    completions: Mapping[str, Completer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_callable("Prompt", self.func)
        _check_model("Prompt", "arguments_type", self.arguments_type)
        _check_texts("Prompt", self.name, self.title, self.description)
        _check_named("Prompt", self.func, self.name)
        object.__setattr__(self, "scopes", _check_scopes("Prompt", self.scopes))
        check_arity("Prompt", self.func, self.arguments_type)
        names = set(self.arguments_type.model_json_schema(by_alias=True).get("properties", {}))
        check_completions("Prompt", self.completions, names)


def check_completions(kind: str, completions: Any, names: set[str]) -> None:
    if not isinstance(completions, Mapping):
        raise TypeError(f"{kind} completions must be a dict of argument name to function")
    for name, func in completions.items():
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ValueError(f"{kind} completions name {name!r}, not an argument ({known})")
        if not callable(func):
            raise TypeError(f"{kind} completion for {name!r} must be a function")


def _check_callable(kind: str, func: Any) -> None:
    if not callable(func):
        raise TypeError(f"{kind} func must be a function, got {type(func).__name__}")


def _check_model(kind: str, field: str, value: Any) -> None:
    if not (isinstance(value, type) and issubclass(value, BaseModel)):
        raise TypeError(f"{kind} {field} must be a pydantic BaseModel subclass, got {value!r}")


def _check_texts(kind: str, *values: str | None) -> None:
    for value in values:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{kind} name, title and description must be strings")
    name = values[0]
    if name is not None and not name.strip():
        raise ValueError(f"{kind} name must not be empty")


def _check_named(kind: str, func: Callable[..., Any], name: str | None) -> None:
    if name is None and not default_name(func):
        raise TypeError(f"{kind} func {func!r} has no __name__; give the {kind} a name=")


def _check_scopes(kind: str, scopes: Any) -> tuple[str, ...]:
    message = f"{kind} scopes must be a tuple of strings, e.g. scopes=('mcp:read',)"
    if isinstance(scopes, str) or not isinstance(scopes, Iterable):
        raise TypeError(message)
    checked = tuple(scopes)
    if not all(isinstance(s, str) for s in checked):
        raise TypeError(message)
    return checked


def check_arity(kind: str, func: Callable[..., Any], model: type[BaseModel]) -> None:
    required = [
        p
        for p in inspect.signature(func).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if len(required) > 1 or (required and required[0].kind is inspect.Parameter.KEYWORD_ONLY):
        raise TypeError(
            f"{kind} func {_name(func)} must take one positional Arguments parameter or none"
        )
    if not required and model is not NoArguments:
        raise TypeError(
            f"{kind} func {_name(func)} takes no parameter but declares inputs "
            f"{model.__name__}; add an `arguments: Arguments[{model.__name__}]` parameter"
        )


def takes_arguments(func: Callable[..., Any]) -> bool:
    """Whether `func` wants the `Arguments` object (it takes a positional parameter)."""
    return any(
        p.kind
        in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.VAR_POSITIONAL,
        )
        for p in inspect.signature(func).parameters.values()
    )


def default_name(func: Callable[..., Any]) -> str:
    """The function's name; a `functools.partial` is named after the function it wraps."""
    return str(getattr(_unwrap(func), "__name__", ""))


def default_description(func: Callable[..., Any]) -> str:
    """The function's docstring (not `functools.partial`'s own), or an empty string."""
    return inspect.getdoc(_unwrap(func)) or ""


def _unwrap(func: Callable[..., Any]) -> Callable[..., Any]:
    while isinstance(func, functools.partial):
        func = func.func
    return func


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", repr(func))
