"""`inputs=` and `output=` come from the function's annotations when they are left out, and
must agree with them when they are given; a function that cannot work is refused at once."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import pytest
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp.testing import AsyncTestClient
from http_mcp.types import (
    Arguments,
    ImageContent,
    InputRequired,
    NoArguments,
    Prompt,
    Resource,
    ResourceTemplate,
    Tool,
    ToolResult,
)

if TYPE_CHECKING:
    # Imported for the type checker only: at run time these annotations cannot be resolved.
    from pydantic import BaseModel as HiddenModel

pytestmark = pytest.mark.anyio


class Inputs(BaseModel):
    query: str


class Output(BaseModel):
    answer: str


class Other(BaseModel):
    other: int


class Note(BaseModel):
    name: str


def search(arguments: Arguments[Inputs]) -> Output:
    """Search."""
    return Output(answer=arguments.inputs.query)


async def search_async(arguments: Arguments[Inputs]) -> Output:
    return Output(answer=arguments.inputs.query)


def search_or_ask(arguments: Arguments[Inputs]) -> Output | InputRequired:
    return Output(answer=arguments.inputs.query)


def search_with_image(arguments: Arguments[Inputs]) -> ToolResult[Output]:
    return ToolResult(output=Output(answer=arguments.inputs.query))


def search_as_text(arguments: Arguments[Inputs]) -> str:
    return arguments.inputs.query


def search_later(arguments: Arguments[Inputs]) -> Awaitable[Output]:
    return search_async(arguments)


def picture() -> ImageContent:
    return ImageContent.from_bytes(b"\x89PNG", "image/png")


def unresolvable(arguments: Arguments[Inputs]) -> HiddenModel:
    raise NotImplementedError


def unresolvable_input(arguments: Arguments[HiddenModel]) -> str:
    return "x"


@pytest.mark.parametrize(
    "func",
    [search, search_async, search_or_ask, search_with_image, search_later],
    ids=["sync", "async", "or-input-required", "tool-result", "returns-an-awaitable"],
)
def test_a_tool_takes_its_inputs_and_output_from_the_annotations(func: Any) -> None:
    tool: Tool[Any, Any] = Tool(func=func)
    assert tool.inputs is Inputs
    assert tool.output is Output


def test_a_tool_returning_text_or_content_has_no_output_model() -> None:
    assert Tool(func=search_as_text).output is None
    assert Tool(func=search_as_text, output=None).output is None
    assert Tool(func=picture).output is None
    assert Tool(func=picture).inputs is NoArguments


def test_string_annotations_are_resolved() -> None:
    def quoted(arguments: "Arguments[Inputs]") -> "Output":  # noqa: UP037 - the case under test
        return Output(answer="x")

    tool = Tool(func=quoted)
    assert (tool.inputs, tool.output) == (Inputs, Output)


async def test_the_inferred_schemas_are_what_clients_see_and_what_calls_are_checked_with() -> None:
    server = MCPServer(name="s", version="1", tools=(Tool(func=search),))
    with anyio.fail_after(10):
        async with AsyncTestClient(server) as client:
            (listed,) = await client.list_tools()
            good = await client.call_tool("search", {"query": "q"})
            bad = await client.call_tool("search", {"query": 3})
    assert listed.input_schema["properties"] == {"query": {"title": "Query", "type": "string"}}
    assert listed.output_schema is not None
    assert listed.output_schema["properties"]["answer"]["type"] == "string"
    assert good.structured_content == {"answer": "q"}
    assert bad.is_error
    assert "query" in bad.text


def test_inputs_that_contradict_the_annotation_are_refused_naming_both() -> None:
    with pytest.raises(
        TypeError, match=r"search takes Arguments\[Inputs\] but declares inputs=Other"
    ):
        Tool(func=search, inputs=Other)  # type: ignore[arg-type]


def test_inputs_may_be_a_subclass_of_the_annotated_model() -> None:
    class Narrower(Inputs):
        limit: int = 10

    # At run time a narrower model is fine; mypy holds the two to one model.
    assert Tool(func=search, inputs=Narrower).inputs is Narrower  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("func", "shown"),
    [(search, "Output"), (search_as_text, "str"), (search_or_ask, "Output | ")],
)
def test_an_output_that_contradicts_the_return_annotation_is_refused_naming_both(
    func: Any, shown: str
) -> None:
    with pytest.raises(TypeError, match=rf"returns {shown}.* but declares output=Other"):
        Tool(func=func, output=Other)


def test_output_none_for_a_function_returning_a_model_is_refused() -> None:
    with pytest.raises(TypeError, match="returns Output but declares output=None; leave output"):
        Tool(func=search, output=None)


def test_a_return_annotation_naming_a_model_and_text_is_refused() -> None:
    def either(arguments: Arguments[Inputs]) -> Output | str:
        return "x"

    with pytest.raises(TypeError, match="returns that one model"):
        Tool(func=either)  # type: ignore[type-var]


def test_an_unresolvable_annotation_needs_the_explicit_form() -> None:
    with pytest.raises(TypeError, match="return annotation cannot be resolved; give output="):
        Tool(func=unresolvable)
    with pytest.raises(TypeError, match="annotation of `arguments` cannot be resolved"):
        Tool(func=unresolvable_input)
    assert Tool(func=unresolvable, output=Output).output is Output  # type: ignore[call-overload]
    assert Tool(func=unresolvable_input, inputs=Inputs).inputs is Inputs  # type: ignore[arg-type]


def test_a_function_taking_the_model_itself_is_refused_with_the_fix() -> None:
    def takes_model(inputs: Inputs) -> str:
        return inputs.query

    with pytest.raises(
        TypeError,
        match=r"takes the model Inputs itself; annotate the parameter as "
        r"`inputs: Arguments\[Inputs\]` and read the model from `inputs.inputs`",
    ):
        Tool(func=takes_model, inputs=Inputs)  # type: ignore[arg-type]


def test_a_parameter_annotated_with_something_else_is_refused() -> None:
    def takes_dict(arguments: dict[str, Any]) -> str:
        return "x"

    with pytest.raises(TypeError, match=r"takes `arguments: dict\[str, Any\]`, but it is called"):
        Tool(func=takes_dict, inputs=Inputs)  # type: ignore[arg-type]


def test_an_unannotated_parameter_needs_inputs() -> None:
    def untyped(arguments):  # type: ignore[no-untyped-def]
        return "x"

    with pytest.raises(
        TypeError,
        match=r"does not say what its parameter `arguments` holds; annotate it as "
        r"`arguments: Arguments\[YourModel\]`, or give inputs=YourModel",
    ):
        Tool(func=untyped)
    assert Tool(func=untyped, inputs=Inputs).inputs is Inputs


def wrap_without_wraps(func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def wrap_with_wraps(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_a_wrapper_without_functools_wraps_is_refused_with_the_fix(kind: Any) -> None:
    with pytest.raises(TypeError, match=r"takes \(\*args, \*\*kwargs\) and wraps nothing.*wraps"):
        kind(func=wrap_without_wraps(search_as_text), inputs=Inputs)


async def test_a_wrapper_with_functools_wraps_reads_the_wrapped_function() -> None:
    tool: Tool[Any, Any] = Tool(func=wrap_with_wraps(search))
    assert (tool.inputs, tool.output) == (Inputs, Output)
    server = MCPServer(name="s", version="1", tools=(tool,))
    with anyio.fail_after(10):
        async with AsyncTestClient(server) as client:
            (listed,) = await client.list_tools()
            result = await client.call_tool("search", {"query": "q"})
    assert (listed.name, listed.description) == ("search", "Search.")
    assert result.structured_content == {"answer": "q"}


def test_a_callable_object_is_read_from_its_call_method() -> None:
    class Searcher:
        def __call__(self, arguments: Arguments[Inputs]) -> Output:
            return Output(answer="x")

    tool: Tool[Any, Any] = Tool(func=Searcher(), name="searcher")
    assert (tool.inputs, tool.output) == (Inputs, Output)


def test_a_prompt_takes_its_inputs_from_the_annotation_or_either_name() -> None:
    def greet(arguments: Arguments[Inputs]) -> str:
        return arguments.inputs.query

    assert Prompt(func=greet).inputs is Inputs
    assert Prompt(func=greet, inputs=Inputs).arguments_type is Inputs
    assert Prompt(func=greet, arguments_type=Inputs).inputs is Inputs
    with pytest.raises(TypeError, match="Prompt takes inputs= or arguments_type="):
        Prompt(func=greet, inputs=Inputs, arguments_type=Inputs)
    with pytest.raises(TypeError, match=r"takes Arguments\[Inputs\] but declares inputs=Other"):
        Prompt(func=greet, arguments_type=Other)  # type: ignore[arg-type]


def test_a_resource_template_takes_its_inputs_from_the_annotation_or_either_name() -> None:
    def note(arguments: Arguments[Note]) -> str:
        return arguments.inputs.name

    template = "notes://{name}"
    assert ResourceTemplate(uri_template=template, func=note).inputs is Note
    assert ResourceTemplate(uri_template=template, func=note, inputs=Note).params is Note
    assert ResourceTemplate(uri_template=template, func=note, params=Note).inputs is Note
    with pytest.raises(TypeError, match="ResourceTemplate takes inputs= or params="):
        ResourceTemplate(uri_template=template, func=note, inputs=Note, params=Note)


def test_a_resource_function_taking_inputs_is_refused() -> None:
    def note(arguments: Arguments[Note]) -> str:
        return arguments.inputs.name

    with pytest.raises(TypeError, match=r"takes Arguments\[Note\], but a Resource has no inputs"):
        Resource(uri="notes://one", func=note)  # type: ignore[arg-type]
