"""Programmer mistakes are refused at declaration, with a message that says how to fix them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp.types import Arguments, NoArguments, Prompt, Resource, ResourceTemplate, Tool


class Inputs(BaseModel):
    query: str


class Output(BaseModel):
    answer: str


@dataclass
class NotAModel:
    query: str


def search(arguments: Arguments[Inputs]) -> Output:
    return Output(answer=arguments.inputs.query)


def no_parameter() -> str:
    return "ok"


def echo_prompt(arguments: Arguments[Inputs]) -> str:
    return arguments.inputs.query


def two_parameters(arguments: Arguments[Inputs], extra: str) -> str:
    return extra


def keyword_only(*, arguments: Arguments[Inputs]) -> str:
    return "ok"


def renamed(func: Callable[[], str], name: str) -> Callable[[], str]:
    func.__name__ = name
    return func


def test_a_tool_with_inputs_that_are_not_a_model_is_refused() -> None:
    with pytest.raises(TypeError, match="inputs must be a pydantic BaseModel subclass"):
        Tool(func=search, inputs=NotAModel)  # type: ignore[type-var, arg-type]


def test_a_tool_with_a_model_instance_as_inputs_is_refused() -> None:
    with pytest.raises(TypeError, match="BaseModel subclass"):
        Tool(func=search, inputs=Inputs(query="q"))  # type: ignore[call-overload]


def test_a_tool_with_an_output_that_is_not_a_model_is_refused() -> None:
    with pytest.raises(TypeError, match="output must be a pydantic BaseModel subclass"):
        Tool(func=search, inputs=Inputs, output=dict)  # type: ignore[call-overload]


def test_a_prompt_with_arguments_that_are_not_a_model_is_refused() -> None:
    with pytest.raises(TypeError, match="arguments_type must be a pydantic BaseModel"):
        Prompt(func=search, arguments_type=NotAModel)  # type: ignore[type-var, arg-type]


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_scopes_given_as_a_plain_string_are_refused(kind: Any) -> None:
    with pytest.raises(TypeError, match=r"scopes must be a sequence of strings, e\.g\."):
        kind(func=no_parameter, scopes="mcp:read")


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_scopes_holding_something_other_than_strings_are_refused(kind: Any) -> None:
    with pytest.raises(TypeError, match="scopes must be a sequence of strings"):
        kind(func=no_parameter, scopes=("mcp:read", 7))


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_scopes_that_are_not_a_collection_are_refused_with_the_fix(kind: Any) -> None:
    with pytest.raises(TypeError, match="scopes must be a sequence of strings"):
        kind(func=no_parameter, scopes=None)


def test_scopes_given_as_a_list_are_kept_as_a_tuple() -> None:
    tool = Tool(func=no_parameter, scopes=["mcp:read"])
    assert tool.scopes == ("mcp:read",)


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_scopes_given_as_a_generator_are_all_kept(kind: Any) -> None:
    declared = kind(func=no_parameter, scopes=(scope for scope in ("mcp:read", "admin")))
    assert declared.scopes == ("mcp:read", "admin")


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_a_func_that_is_not_callable_is_refused(kind: Any) -> None:
    with pytest.raises(TypeError, match="func must be a function, got str"):
        kind(func="search")


@pytest.mark.parametrize("kind", [Tool, Prompt])
@pytest.mark.parametrize("func", [two_parameters, keyword_only])
def test_a_func_that_does_not_take_one_positional_parameter_is_refused(
    kind: Any, func: Any
) -> None:
    field = "inputs" if kind is Tool else "arguments_type"
    with pytest.raises(TypeError, match=f"{func.__name__} must take one positional Arguments"):
        kind(func=func, **{field: Inputs})


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_a_func_without_a_parameter_but_with_declared_inputs_is_refused(kind: Any) -> None:
    field = "inputs" if kind is Tool else "arguments_type"
    with pytest.raises(
        TypeError,
        match=r"no_parameter takes no parameter but declares inputs Inputs; "
        r"add an `arguments: Arguments\[Inputs\]` parameter",
    ):
        kind(func=no_parameter, **{field: Inputs})


def test_a_func_with_optional_extra_parameters_is_accepted() -> None:
    def with_default(arguments: Arguments[Inputs], verbose: bool = False) -> str:
        return "ok"

    def with_var_keywords(arguments: Arguments[Inputs], **extra: Any) -> str:
        return "ok"

    Tool(func=with_default, inputs=Inputs)
    Tool(func=with_var_keywords, inputs=Inputs)
    Tool(func=no_parameter, inputs=NoArguments)


@pytest.mark.parametrize("kind", [Tool, Prompt])
@pytest.mark.parametrize("field", ["name", "title", "description"])
def test_a_name_title_or_description_that_is_not_a_string_is_refused(kind: Any, field: str) -> None:
    with pytest.raises(TypeError, match=f"{field} must be a string, got int"):
        kind(func=no_parameter, **{field: 3})


class Counter:
    def __call__(self) -> str:
        return "ok"


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_a_callable_without_a_name_needs_an_explicit_name(kind: Any) -> None:
    with pytest.raises(TypeError, match=r"has no __name__; give the (Tool|Prompt) a name="):
        kind(func=Counter())
    assert kind(func=Counter(), name="counter").name == "counter"


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_an_empty_name_is_refused(kind: Any) -> None:
    with pytest.raises(ValueError, match="name must not be empty"):
        kind(func=no_parameter, name="  ")


def test_tool_annotations_that_are_not_tool_annotations_are_refused() -> None:
    with pytest.raises(TypeError, match="ToolAnnotations"):
        Tool(func=no_parameter, annotations={"readOnlyHint": True})  # type: ignore[call-overload]


def test_two_tools_with_one_name_are_refused_by_the_server() -> None:
    first = Tool(func=no_parameter)
    second = Tool(func=search, inputs=Inputs, name="no_parameter")
    with pytest.raises(ValueError, match="two tools are named 'no_parameter'; give one of them"):
        MCPServer(name="s", version="1", tools=(first, second))


def test_two_tools_whose_functions_share_a_name_are_refused_by_the_server() -> None:
    first = Tool(func=renamed(lambda: "a", "status"))
    second = Tool(func=renamed(lambda: "b", "status"))
    with pytest.raises(ValueError, match="two tools are named 'status'"):
        MCPServer(name="s", version="1", tools=(first, second))


def test_two_prompts_with_one_name_are_refused_by_the_server() -> None:
    first = Prompt(func=no_parameter, name="greet")
    second = Prompt(func=echo_prompt, arguments_type=Inputs, name="greet")
    with pytest.raises(ValueError, match="two prompts are named 'greet'"):
        MCPServer(name="s", version="1", prompts=(first, second))


def test_a_tool_and_a_prompt_may_share_a_name() -> None:
    MCPServer(
        name="s",
        version="1",
        tools=(Tool(func=no_parameter),),
        prompts=(Prompt(func=no_parameter),),
    )


def test_a_single_tool_instead_of_a_tuple_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"tools must be a sequence of Tool, e\.g\. \(tool,\)"):
        MCPServer(name="s", version="1", tools=Tool(func=no_parameter))  # type: ignore[arg-type]


def test_a_single_prompt_instead_of_a_tuple_is_refused_with_the_fix() -> None:
    prompt = Prompt(func=no_parameter)
    with pytest.raises(TypeError, match=r"prompts must be a sequence of Prompt, e\.g\."):
        MCPServer(name="s", version="1", prompts=prompt)  # type: ignore[arg-type]


def test_a_prompt_among_the_tools_is_refused() -> None:
    with pytest.raises(TypeError, match="tools must hold Tool objects"):
        MCPServer(name="s", version="1", tools=(Prompt(func=no_parameter),))  # type: ignore[arg-type]


def test_a_tools_set_is_refused_because_it_has_no_order() -> None:
    with pytest.raises(TypeError, match="tools must be a sequence of Tool"):
        MCPServer(name="s", version="1", tools={Tool(func=no_parameter)})  # type: ignore[arg-type]


def test_tools_given_as_a_list_are_accepted() -> None:
    MCPServer(name="s", version="1", tools=[Tool(func=no_parameter)])


@pytest.mark.parametrize("page_size", [0, -1])
def test_a_page_size_below_one_is_refused(page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size must be a positive number, or None"):
        MCPServer(name="s", version="1", page_size=page_size)


def test_a_negative_list_ttl_is_refused() -> None:
    with pytest.raises(ValueError, match="list_ttl_ms must not be negative"):
        MCPServer(name="s", version="1", list_ttl_ms=-1)


def test_a_zero_list_ttl_and_no_pages_are_accepted() -> None:
    MCPServer(name="s", version="1", list_ttl_ms=0, page_size=None)


def test_a_max_message_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_message_size must be a positive number"):
        MCPServer(name="s", version="1", max_message_size=0)


class Note(BaseModel):
    name: str


def note(arguments: Arguments[Note]) -> str:
    return arguments.inputs.name


DECLARE: dict[str, Callable[..., object]] = {
    "Tool": lambda **given: Tool(func=no_parameter, **given),
    "Prompt": lambda **given: Prompt(func=no_parameter, **given),
    "Resource": lambda **given: Resource(uri="notes://all", func=no_parameter, **given),
    "ResourceTemplate": lambda **given: ResourceTemplate(
        uri_template="notes://{name}", func=note, **given
    ),
}
KINDS = pytest.mark.parametrize("kind", list(DECLARE))


@KINDS
@pytest.mark.parametrize("field", ["name", "title", "description"])
def test_every_declaration_refuses_a_name_title_or_description_that_is_not_a_string(
    kind: str, field: str
) -> None:
    with pytest.raises(TypeError, match=f"^{kind} {field} must be a string, got int$"):
        DECLARE[kind](**{field: 123})


@KINDS
@pytest.mark.parametrize("scopes", ["mcp:read", ("mcp:read", 1), None, 7])
def test_every_declaration_refuses_scopes_that_are_not_strings(kind: str, scopes: Any) -> None:
    with pytest.raises(TypeError, match=f"^{kind} scopes must be a sequence of strings"):
        DECLARE[kind](scopes=scopes)


@KINDS
@pytest.mark.parametrize("scope", ["", "mcp read", " mcp:read", "mcp:read\n"])
def test_every_declaration_refuses_an_empty_scope_or_one_with_whitespace(
    kind: str, scope: str
) -> None:
    message = f"^{kind} scope {re.escape(repr(scope))} is not a scope: each one"
    with pytest.raises(ValueError, match=message):
        DECLARE[kind](scopes=("mcp:write", scope))


@KINDS
def test_every_declaration_keeps_any_sequence_of_scopes_as_a_tuple(kind: str) -> None:
    assert getattr(DECLARE[kind](scopes=["b", "a"]), "scopes") == ("b", "a")  # noqa: B009


@KINDS
def test_every_declaration_refuses_an_empty_name(kind: str) -> None:
    with pytest.raises(ValueError, match=f"^{kind} name must not be empty"):
        DECLARE[kind](name=" ")


@pytest.mark.parametrize("kind", [Tool, Prompt])
def test_a_lambda_needs_a_name(kind: Any) -> None:
    with pytest.raises(TypeError, match="func is a lambda, which has no name; give the"):
        kind(func=lambda: "x")
    assert kind(func=lambda: "x", name="x").name == "x"


def test_a_resource_lambda_needs_a_name() -> None:
    with pytest.raises(TypeError, match="Resource func is a lambda, which has no name"):
        Resource(uri="notes://all", func=lambda: "x")


@pytest.mark.parametrize(
    "name", ["get fix", "vulns/get_fix", "héllo", "a" * 129, "fix!", "tab\tname", "<x>"]
)
def test_a_tool_name_mcp_clients_reject_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"is not one MCP clients accept: use 1 to 128 of the"):
        Tool(func=no_parameter, name=name)


def test_a_tool_function_whose_name_clients_reject_needs_a_name() -> None:
    with pytest.raises(ValueError, match="Tool name 'çà' is not one MCP clients accept"):
        Tool(func=renamed(no_parameter_copy(), "çà"))


@pytest.mark.parametrize("name", ["get_fix", "vulns.get-fix", "A9", "a" * 128])
def test_tool_names_of_the_allowed_characters_are_accepted(name: str) -> None:
    assert Tool(func=no_parameter, name=name).name == name


def test_prompt_names_are_not_held_to_the_tool_name_characters() -> None:
    assert Prompt(func=no_parameter, name="triäge: a finding").name == "triäge: a finding"


def no_parameter_copy() -> Callable[[], str]:
    def copy() -> str:
        return "ok"

    return copy


@pytest.mark.parametrize("schema", [{"type": "array"}, ["type", "object"], {}])
def test_an_input_schema_that_is_not_an_object_schema_is_refused(schema: Any) -> None:
    with pytest.raises(TypeError, match='input_schema must be a JSON Schema dict with "type"'):
        Tool(func=search, input_schema=schema)


@pytest.mark.parametrize("kind", ["Prompt", "ResourceTemplate"])
def test_completions_that_are_not_a_mapping_are_refused(kind: str) -> None:
    with pytest.raises(TypeError, match=f"^{kind} completions must be a dict of argument name"):
        DECLARE[kind](completions=[note])


@pytest.mark.parametrize("kind", ["Resource", "ResourceTemplate"])
def test_a_mime_type_that_is_not_a_string_is_refused(kind: str) -> None:
    with pytest.raises(TypeError, match=f"^{kind} mime_type must be a string, got bytes"):
        DECLARE[kind](mime_type=b"text/plain")
