"""Reading a declared function: its one parameter, its annotations, and the mistakes in them.

What a function's annotations say (`Arguments[In]`, a return type) fills in `inputs=` and
`output=` when they are left out, and must agree with them when they are given. Everything
here runs once, at declaration.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel

from http_mcp._arguments import Arguments, NoArguments
from http_mcp._input import InputRequired
from http_mcp._results import ToolResult
from http_mcp._wire import WireModel


class Omitted:
    """The value of `output=` when it is not given (`None` says: no output model)."""


OMITTED: Final = Omitted()
_UNIONS: Final = (typing.Union, types.UnionType)
_NEUTRAL: Final = (Any, object, inspect.Parameter.empty)


@dataclass(frozen=True, slots=True)
class Shape:
    """A function's inputs model and output model, from its declaration and annotations."""

    inputs: type[BaseModel]
    output: type[BaseModel] | None


def read_function(
    kind: str,
    func: Callable[..., Any],
    inputs: type[BaseModel] | None,
    output: type[BaseModel] | Omitted | None = None,
    *,
    has_inputs: bool = True,
    has_output: bool = False,
) -> Shape:
    """Check `func` against `inputs=` / `output=` and fill in the ones left out.

    `func` is known to be callable (`check_common`).

    Raises:
        TypeError: `func` cannot be called with one `Arguments` (or nothing), or its
            annotations contradict `inputs=` / `output=`, or say something that cannot work.
    """
    _check_not_a_bare_wrapper(kind, func)
    parameter = _parameter(kind, func)
    hints, unresolved = _hints(func)
    if inputs is not None:
        check_model(kind, "inputs", inputs)
    if parameter is None:
        if inputs not in (None, NoArguments):
            raise TypeError(
                f"{kind} func {_name(func)} takes no parameter but declares inputs "
                f"{inputs.__name__}; add an `arguments: Arguments[{inputs.__name__}]` parameter"
            )
        resolved: type[BaseModel] = NoArguments
    else:
        resolved = _inputs(kind, func, parameter, inputs, hints, unresolved, has_inputs)
    if has_output:
        return Shape(resolved, _output(kind, func, output, hints, unresolved))
    return Shape(resolved, None)


def check_model(kind: str, field: str, value: Any) -> None:
    if not (isinstance(value, type) and issubclass(value, BaseModel)):
        raise TypeError(f"{kind} {field} must be a pydantic BaseModel subclass, got {value!r}")


def _check_not_a_bare_wrapper(kind: str, func: Callable[..., Any]) -> None:
    parameters = inspect.signature(func, follow_wrapped=False).parameters.values()
    var_kinds = {p.kind for p in parameters}
    if var_kinds == {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD} and not (
        hasattr(unpartial(func), "__wrapped__")
    ):
        raise TypeError(
            f"{kind} func {_name(func)} takes (*args, **kwargs) and wraps nothing: if it is a "
            "decorator's wrapper, decorate it with @functools.wraps(func) so that the name, "
            "docstring and parameter of the function it wraps are read"
        )


def _parameter(kind: str, func: Callable[..., Any]) -> inspect.Parameter | None:
    """The parameter `func` takes its `Arguments` in, or `None` if it takes none."""
    parameters = list(inspect.signature(func).parameters.values())
    required = [
        p
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if len(required) > 1 or (required and required[0].kind is inspect.Parameter.KEYWORD_ONLY):
        raise TypeError(
            f"{kind} func {_name(func)} must take one positional Arguments parameter or none"
        )
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    return next((p for p in parameters if p.kind in positional), None)


def _hints(func: Callable[..., Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """The function's annotations resolved (string ones included), and those that cannot be."""
    target = inspect.unwrap(unpartial(func))
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = getattr(type(target), "__call__", target)  # noqa: B004 - callable objects
    try:
        return typing.get_type_hints(target), frozenset()
    except Exception:  # noqa: S110 - resolved one by one below, to name what fails
        pass
    hints: dict[str, Any] = {}
    unresolved: set[str] = set()
    for name, annotation in getattr(target, "__annotations__", {}).items():
        try:
            hints[name] = _resolve(annotation, getattr(target, "__globals__", None))
        except Exception:  # any error evaluating a user's annotation
            unresolved.add(name)
    return hints, frozenset(unresolved)


def _resolve(annotation: Any, globalns: dict[str, Any] | None) -> Any:
    def holder() -> None: ...

    holder.__annotations__ = {"value": annotation}
    return typing.get_type_hints(holder, globalns)["value"]


def _inputs(
    kind: str,
    func: Callable[..., Any],
    parameter: inspect.Parameter,
    inputs: type[BaseModel] | None,
    hints: dict[str, Any],
    unresolved: frozenset[str],
    has_inputs: bool,
) -> type[BaseModel]:
    if parameter.name in unresolved:
        if inputs is None and has_inputs:
            raise TypeError(
                f"{kind} func {_name(func)}: the annotation of `{parameter.name}` cannot be "
                "resolved; give inputs= explicitly, or import the names it uses at run time"
            )
        return inputs or NoArguments
    annotation = hints.get(parameter.name, inspect.Parameter.empty)
    annotated = _annotated_inputs(kind, func, parameter.name, annotation)
    if not has_inputs:
        if annotated not in (None, NoArguments):
            raise TypeError(
                f"{kind} func {_name(func)} takes Arguments[{_show(annotated)}], but a {kind} "
                "has no inputs; take Arguments[NoArguments], or nothing"
            )
        return NoArguments
    if inputs is None:
        if annotated is None:
            raise TypeError(
                f"{kind} func {_name(func)} does not say what its parameter "
                f"`{parameter.name}` holds; annotate it as "
                f"`{parameter.name}: Arguments[YourModel]`, or give inputs=YourModel"
            )
        return annotated
    if annotated is not None and not issubclass(inputs, annotated):
        raise TypeError(
            f"{kind} func {_name(func)} takes Arguments[{_show(annotated)}] but declares "
            f"inputs={inputs.__name__}; make them agree, or leave inputs= out"
        )
    return inputs


def _annotated_inputs(
    kind: str, func: Callable[..., Any], name: str, annotation: Any
) -> type[BaseModel] | None:
    """The model an `Arguments[Model]` annotation names; `None` if it names none."""
    if annotation in _NEUTRAL or annotation is Arguments:
        return None
    if typing.get_origin(annotation) is Arguments:
        model = typing.get_args(annotation)[0]
        return model if isinstance(model, type) and issubclass(model, BaseModel) else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        model_name = annotation.__name__
        raise TypeError(
            f"{kind} func {_name(func)} takes the model {model_name} itself; annotate the "
            f"parameter as `{name}: Arguments[{model_name}]` and read the model from "
            f"`{name}.inputs`"
        )
    raise TypeError(
        f"{kind} func {_name(func)} takes `{name}: {_show(annotation)}`, but it is called "
        f"with one `Arguments`; annotate it as `{name}: Arguments[YourModel]`"
    )


def _output(
    kind: str,
    func: Callable[..., Any],
    output: type[BaseModel] | Omitted | None,
    hints: dict[str, Any],
    unresolved: frozenset[str],
) -> type[BaseModel] | None:
    if not isinstance(output, Omitted) and output is not None:
        check_model(kind, "output", output)
    if "return" in unresolved:
        if isinstance(output, Omitted):
            raise TypeError(
                f"{kind} func {_name(func)}: its return annotation cannot be resolved; give "
                "output= explicitly (output=None for a tool without an output model)"
            )
        return output
    annotation = hints.get("return", inspect.Parameter.empty)
    models, others = _returned(annotation)
    if isinstance(output, Omitted):
        if len(models) > 1 or (models and others):
            raise TypeError(
                f"{kind} func {_name(func)} returns {_show(annotation)}; a tool with an "
                "output model returns that one model: declare output= and return only it"
            )
        return models[0] if models else None
    if output is None:
        if models:
            raise TypeError(
                f"{kind} func {_name(func)} returns {_show(annotation)} but declares "
                f"output=None; leave output= out to declare {models[0].__name__} the output"
            )
        return None
    wrong = [m for m in models if not issubclass(m, output)] + others
    if wrong:
        raise TypeError(
            f"{kind} func {_name(func)} returns {_show(annotation)} but declares "
            f"output={output.__name__}; make them agree, or leave output= out"
        )
    return output


def _returned(annotation: Any) -> tuple[list[type[BaseModel]], list[Any]]:
    """The models a return annotation names, and what else it names that is not a model.

    `InputRequired`, a dict, a bare `ToolResult` and `Any` say nothing about the output.
    """
    members = typing.get_args(annotation) if typing.get_origin(annotation) in _UNIONS else ()
    if not members:
        members = (annotation,)
    models: list[type[BaseModel]] = []
    others: list[Any] = []
    for member in members:
        origin = typing.get_origin(member)
        if origin in (Awaitable, Coroutine):
            inner_models, inner_others = _returned(typing.get_args(member)[-1])
            models += inner_models
            others += inner_others
        elif origin is ToolResult:
            models += [m for m in typing.get_args(member)[:1] if _is_model(m)]
        elif _is_model(member):
            models.append(member)
        elif not _says_nothing(member, origin):
            others.append(member)
    return models, others


def _says_nothing(member: Any, origin: Any) -> bool:
    if member in _NEUTRAL or member in (InputRequired, ToolResult):
        return True
    container = origin if origin is not None else member
    return isinstance(container, type) and issubclass(container, Mapping)


def _is_model(value: Any) -> bool:
    """A user's model: content blocks and resource contents are wire models, not outputs."""
    return (
        isinstance(value, type)
        and issubclass(value, BaseModel)
        and not issubclass(value, WireModel)
    )


def unpartial(func: Callable[..., Any]) -> Callable[..., Any]:
    """The function a `functools.partial` (or a partial of a partial) wraps; else `func`."""
    while isinstance(func, functools.partial):
        func = func.func
    return func


def _show(annotation: Any) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return repr(annotation).replace("typing.", "").replace("http_mcp._arguments.", "")


def _name(func: Callable[..., Any]) -> str:
    return str(getattr(func, "__qualname__", None) or repr(func))
