"""`Tool` and `Prompt`: what a user declares. Mistakes are reported here, at declaration.

Both are generic in their input model (and a tool in what it returns), so that a type
checker holds the function's `Arguments[...]` and return annotation to `inputs=` and
`output=`; at run time the same agreement is checked, and what is left out is read from the
annotations.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, Protocol, TypeAlias, overload

from pydantic import BaseModel

# typing_extensions (a dependency of pydantic) for type parameter defaults on Python < 3.13.
from typing_extensions import TypeVar

from http_mcp._arguments import Arguments, NoArguments
from http_mcp._input import InputRequired
from http_mcp._results import ToolResult
from http_mcp._signature import OMITTED, check_model, read_function, unpartial
from http_mcp._wire import ContentBlock, PromptMessage, ToolAnnotations

In = TypeVar("In", bound=BaseModel, covariant=True, default=Any)
Out = TypeVar("Out", covariant=True, default=Any)
_I = TypeVar("_I", bound=BaseModel, default=NoArguments)
_M = TypeVar("_M", bound=BaseModel)
_R = TypeVar("_R", bound=BaseModel | str | ContentBlock | Sequence[ContentBlock] | None)

CompletionContext: TypeAlias = Mapping[str, str]
"""The second parameter of a completion function: the arguments already chosen, by name."""

Completer: TypeAlias = Callable[[str, CompletionContext], Sequence[str] | Awaitable[Sequence[str]]]
"""A completion function: `(value, context) -> list[str]`, sync or async."""

_ModelValue: TypeAlias = _M | dict[str, Any] | ToolResult[_M] | InputRequired
ModelReturn: TypeAlias = _ModelValue[_M] | Awaitable[_ModelValue[_M]]
_PlainValue: TypeAlias = _R | ToolResult[_R] | InputRequired
PlainReturn: TypeAlias = _PlainValue[_R] | Awaitable[_PlainValue[_R]]
_PromptValue: TypeAlias = str | PromptMessage | Sequence[PromptMessage] | InputRequired
PromptReturn: TypeAlias = _PromptValue | Awaitable[_PromptValue]

TOOL_NAME: Final = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
TaskSupport: TypeAlias = Literal["optional", "required"]
"""How a tool runs as a task: `"optional"` or `"required"` (see `Tool`)."""


class ModelClass(Protocol[_M]):
    """A pydantic model class, held exactly.

    A type checker infers `output=B` as `B`, not widened to whatever the function returns,
    so a disagreement is an error.
    """

    def model_validate(self, obj: Any, /) -> _M: ...

    def model_dump(self, instance: _M, /) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True, init=False)
class Tool(Generic[In, Out]):
    """A function the model can call.

    `Tool[In, Out]` takes `In` (its `Arguments[In]`) and returns `Out`: the output model
    when it has one.

    Args:
        func: Sync or async function taking one `Arguments[Model]` parameter, or none.
            Sync functions run in a worker thread.
        inputs: Pydantic model of the arguments; its JSON Schema is the tool's `inputSchema`.
            Defaults to the model of the function's `Arguments[Model]` annotation.
        output: Pydantic model the function returns; its schema is the `outputSchema`.
            Defaults to the model the function's return annotation names (`-> Model`,
            `-> Model | InputRequired`, `-> ToolResult[Model]`). `None`: no output model;
            the function returns text (a `str`), content blocks, or `None`.
        name: Defaults to the function's name. 1 to 128 of `A-Z a-z 0-9 _ - .`.
        title: A display name for people.
        description: Defaults to the function's docstring.
        annotations: Behaviour hints (`ToolAnnotations`).
        return_error_message: Return invalid-input and `ToolError` messages as a declared
            variant of the output (`{"error": "..."}`, `isError: false`) so that clients that
            hide error results still show them to the model.
        scopes: Scopes the caller needs (all of them) to see and call the tool, e.g.
            `("mcp:read",)`: any sequence of strings, each non-empty without whitespace.
        input_schema: A JSON Schema to publish as `inputSchema` instead of the one derived
            from `inputs`, for JSON Schema features Pydantic does not generate
            (`if`/`then`/`else`, `$anchor`...). Arguments are still validated by `inputs`, so
            keep the two in agreement. Its root must be `{"type": "object", ...}`.
        task: Run calls as tasks (the 2026-07-28 extension `io.modelcontextprotocol/tasks`):
            `"optional"` makes a task for clients that declare the extension and answers
            others directly; `"required"` refuses clients without it. `None` (the default):
            never a task. The client polls the task with `tasks/get` on any replica.
        before_task: With `task=`, a sync or async function given the same `Arguments`,
            run within the request before the task is created: it returns `InputRequired`
            to ask the client first (answered on the request itself), or `None` to start
            the task, whose function then sees those answers.

    Raises:
        TypeError, ValueError: at declaration, for a mistake in any of the above, with what
            to change.

    Example:
        ```python
        tool = Tool(func=get_fix_metadata, return_error_message=True, scopes=("mcp:read",))
        # the same, explicitly: Tool(func=..., inputs=FixMetadataInput, output=FixMetadataOutput)
        ```
    """

    func: Callable[..., Any]
    inputs: type[In]
    output: type[Out] | None
    name: str | None
    title: str | None
    description: str | None
    annotations: ToolAnnotations | None
    return_error_message: bool
    scopes: tuple[str, ...]
    input_schema: Mapping[str, Any] | None
    task: TaskSupport | None
    before_task: Callable[..., Any] | None

    @overload
    def __init__(
        self: Tool[_I, _M],
        func: Callable[[Arguments[_I]], ModelReturn[_M]] | Callable[[], ModelReturn[_M]],
        *,
        inputs: type[_I] | None = None,
        output: ModelClass[_M],
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        return_error_message: bool = False,
        scopes: Iterable[str] = (),
        input_schema: Mapping[str, Any] | None = None,
        task: TaskSupport | None = None,
        before_task: Callable[..., Any] | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Tool[_I, _R],
        func: Callable[[Arguments[_I]], PlainReturn[_R]] | Callable[[], PlainReturn[_R]],
        *,
        inputs: type[_I] | None = None,
        output: None = None,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        return_error_message: bool = False,
        scopes: Iterable[str] = (),
        input_schema: Mapping[str, Any] | None = None,
        task: TaskSupport | None = None,
        before_task: Callable[..., Any] | None = None,
    ) -> None: ...

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        inputs: Any = None,
        output: Any = OMITTED,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        return_error_message: bool = False,
        scopes: Iterable[str] = (),
        input_schema: Mapping[str, Any] | None = None,
        task: TaskSupport | None = None,
        before_task: Callable[..., Any] | None = None,
    ) -> None:
        checked_scopes = check_common("Tool", func, name, title, description, scopes)
        if task not in (None, "optional", "required"):
            raise ValueError(f'Tool task must be "optional", "required" or None, got {task!r}')
        if before_task is not None and (task is None or not callable(before_task)):
            raise TypeError("Tool before_task must be a function, given together with task=")
        shape = read_function("Tool", func, inputs, output, has_output=True)
        check_tool_name(name if name is not None else default_name(func))
        if input_schema is not None and (
            not isinstance(input_schema, Mapping) or input_schema.get("type") != "object"
        ):
            raise TypeError('Tool input_schema must be a JSON Schema dict with "type": "object"')
        if annotations is not None and not isinstance(annotations, ToolAnnotations):
            raise TypeError("Tool annotations must be a ToolAnnotations instance")
        assign(
            self,
            func=func,
            inputs=shape.inputs,
            output=shape.output,
            name=name,
            title=title,
            description=description,
            annotations=annotations,
            return_error_message=return_error_message,
            scopes=checked_scopes,
            input_schema=input_schema,
            task=task,
            before_task=before_task,
        )


@dataclass(frozen=True, slots=True, init=False)
class Prompt(Generic[In]):
    """A reusable message template the user can pick.

    Args:
        func: Sync or async function taking one `Arguments[Model]` parameter, or none,
            and returning a sequence of `PromptMessage` (or a `str`, sent as one user message).
        inputs: Pydantic model of the prompt's arguments. Each field becomes an argument
            with its name (alias), description and whether it is required. Defaults to the
            model of the function's `Arguments[Model]` annotation.
        arguments_type: Another name for `inputs` (give one of the two).
        name: Defaults to the function's name.
        title: A display name for people.
        description: Defaults to the function's docstring.
        scopes: Scopes the caller needs (all of them) to see and get the prompt.
        completions: Suggestions for argument values, by argument name: a sync or async
            function `(value: str, context: CompletionContext) -> list[str]` given what the
            user typed so far and the arguments already chosen (`completion/complete`).
    """

    func: Callable[..., Any]
    inputs: type[In]
    name: str | None
    title: str | None
    description: str | None
    scopes: tuple[str, ...]
    completions: Mapping[str, Completer]

    def __init__(
        self: Prompt[_I],
        func: Callable[[Arguments[_I]], PromptReturn] | Callable[[], PromptReturn],
        *,
        inputs: type[_I] | None = None,
        arguments_type: type[_I] | None = None,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        scopes: Iterable[str] = (),
        completions: Mapping[str, Completer] | None = None,
    ) -> None:
        checked_scopes = check_common("Prompt", func, name, title, description, scopes)
        model = one_of("Prompt", inputs, "arguments_type", arguments_type)
        shape = read_function("Prompt", func, model)
        completions = {} if completions is None else completions
        names = set(shape.inputs.model_json_schema(by_alias=True).get("properties", {}))
        check_completions("Prompt", completions, names)
        assign(
            self,
            func=func,
            inputs=shape.inputs,
            name=name,
            title=title,
            description=description,
            scopes=checked_scopes,
            completions=completions,
        )

    @property
    def arguments_type(self) -> type[In]:
        """The prompt's input model: another name for `inputs`."""
        return self.inputs


def assign(declaration: object, **values: Any) -> None:
    """Set the fields of a frozen declaration, once, from its `__init__`."""
    for name, value in values.items():
        object.__setattr__(declaration, name, value)


def one_of(kind: str, inputs: Any, alias: str, value: Any) -> Any:
    """`inputs=`, or its other spelling `alias=`; refuse both at once."""
    if value is None:
        return inputs
    if inputs is not None:
        raise TypeError(f"{kind} takes inputs= or {alias}= (two names for one thing), not both")
    check_model(kind, alias, value)
    return value


def check_common(
    kind: str,
    func: Any,
    name: Any,
    title: Any,
    description: Any,
    scopes: Any,
) -> tuple[str, ...]:
    """The checks every declaration shares; returns the scopes as a tuple."""
    if not callable(func):
        raise TypeError(f"{kind} func must be a function, got {type(func).__name__}")
    for field, value in (("name", name), ("title", title), ("description", description)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{kind} {field} must be a string, got {type(value).__name__}")
    if name is not None and not name.strip():
        raise ValueError(f"{kind} name must not be empty")
    if name is None:
        default = default_name(func)
        if not default:
            raise TypeError(f"{kind} func {func!r} has no __name__; give the {kind} a name=")
        if default == "<lambda>":
            raise TypeError(f"{kind} func is a lambda, which has no name; give the {kind} a name=")
    return check_scopes(kind, scopes)


def check_scopes(kind: str, scopes: Any) -> tuple[str, ...]:
    message = f"{kind} scopes must be a sequence of strings, e.g. scopes=('mcp:read',)"
    if isinstance(scopes, str) or not isinstance(scopes, Iterable):
        raise TypeError(message)
    checked = tuple(scopes)
    if not all(isinstance(s, str) for s in checked):
        raise TypeError(message)
    for scope in checked:
        if not scope or scope.split() != [scope]:
            raise ValueError(
                f"{kind} scope {scope!r} is not a scope: each one is a non-empty token without "
                "whitespace, e.g. scopes=('mcp:read', 'mcp:write')"
            )
    return checked


def check_tool_name(name: str) -> None:
    if not TOOL_NAME.fullmatch(name):
        raise ValueError(
            f"Tool name {name!r} is not one MCP clients accept: use 1 to 128 of the "
            "characters A-Z a-z 0-9 _ - . (e.g. name='get_fix_metadata')"
        )


def check_completions(kind: str, completions: Any, names: set[str]) -> None:
    if not isinstance(completions, Mapping):
        raise TypeError(f"{kind} completions must be a dict of argument name to function")
    for name, func in completions.items():
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ValueError(f"{kind} completions name {name!r}, not an argument ({known})")
        if not callable(func):
            raise TypeError(f"{kind} completion for {name!r} must be a function")


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
    return str(getattr(unpartial(func), "__name__", ""))


def default_description(func: Callable[..., Any]) -> str:
    """The function's docstring (not `functools.partial`'s own), or an empty string."""
    return inspect.getdoc(unpartial(func)) or ""
