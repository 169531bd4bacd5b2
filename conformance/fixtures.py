"""The fixture server of the official MCP conformance suite, built with http-mcp's public API.

Each tool, prompt and resource here is one the suite's server scenarios call by name, with
the inputs and outputs of the suite's reference server. `app` serves it at `/mcp`:

    http-mcp run conformance.fixtures:app --port 8000
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.routing import Route

from conformance.task_fixtures import TASK_TOOLS
from http_mcp import MCPServer
from http_mcp.exceptions import ToolError
from http_mcp.types import (
    Arguments,
    AudioContent,
    Elicitation,
    EmbeddedResource,
    ImageContent,
    InputRequest,
    InputRequired,
    ListRoots,
    NoArguments,
    Prompt,
    PromptMessage,
    Resource,
    ResourceTemplate,
    Sampling,
    TextContent,
    Tool,
)

PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJ"
    "RU5ErkJggg=="
)
WAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
REQUEST_STATE_KEY = "conformance-fixtures-shared-request-state-key"


# -- content -------------------------------------------------------------------------------


def test_simple_text() -> str:
    """Returns a simple text response."""
    return "This is a simple text response for testing."


def test_image_content() -> ImageContent:
    """Returns a small PNG image."""
    return ImageContent(data=PNG, mime_type="image/png")


def test_audio_content() -> AudioContent:
    """Returns a short WAV clip."""
    return AudioContent(data=WAV, mime_type="audio/wav")


def test_embedded_resource() -> EmbeddedResource:
    """Returns an embedded text resource."""
    return EmbeddedResource.from_text(
        "test://embedded-resource", "This is an embedded resource content.", "text/plain"
    )


def test_multiple_content_types() -> list[TextContent | ImageContent | EmbeddedResource]:
    """Returns text, an image and an embedded resource."""
    return [
        TextContent(text="Multiple content types test:"),
        ImageContent(data=PNG, mime_type="image/png"),
        EmbeddedResource.from_text(
            "test://mixed-content-resource", '{"test":"data","value":123}', "application/json"
        ),
    ]


# -- streaming -------------------------------------------------------------------------------


async def test_tool_with_logging(arguments: Arguments[NoArguments]) -> str:
    """Sends three log messages while it runs."""
    for text in ("Tool execution started", "Tool processing data", "Tool execution completed"):
        await arguments.log("info", text)
    return "Tool with logging executed successfully"


async def test_reconnection(arguments: Arguments[NoArguments]) -> str:
    """Ends its event stream before it answers; the client resumes it for the result."""
    await arguments.close_stream()
    return "Reconnection test completed"


async def test_logging_tool(arguments: Arguments[NoArguments]) -> str:
    """Logs only when the request asks for a log level."""
    await arguments.log("info", "Logging tool ran")
    return "Logging tool executed"


async def test_tool_with_progress(arguments: Arguments[NoArguments]) -> str:
    """Reports progress at 0, 50 and 100 of 100."""
    for step in (0, 50, 100):
        await arguments.report_progress(step, 100, f"Completed step {step} of 100")
    return str(arguments.progress_token)


def test_error_handling() -> str:
    """Always fails, as a tool error the model can read."""
    raise ToolError("This tool intentionally returns an error for testing")


# -- JSON Schema 2020-12 and custom headers ---------------------------------------------------

JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


class Address(BaseModel):
    street: str | None = None
    city: str | None = None


class ContactInput(BaseModel):
    """Validated by Pydantic; described to clients by the hand-written 2020-12 schema."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    address: Address | None = None
    contact_method: str | None = Field(default=None, alias="contactMethod")
    phone: str | None = None
    email: str | None = None


def json_schema_2020_12_tool(arguments: Arguments[ContactInput]) -> str:
    """Tool with JSON Schema 2020-12 features"""
    given = arguments.inputs.model_dump(by_alias=True, exclude_none=True)
    return f"JSON Schema 2020-12 tool called with: {given}"


class RouteInput(BaseModel):
    route: str = Field(json_schema_extra={"x-mcp-header": "Route"})


def test_custom_header(arguments: Arguments[RouteInput]) -> str:
    """Echoes a value that clients also send as the Mcp-Param-Route header."""
    return f"route: {arguments.inputs.route}"


# -- input from the client ---------------------------------------------------------------------


class Name(BaseModel):
    name: str


class Color(BaseModel):
    color: str


class Confirm(BaseModel):
    ok: bool


class Context(BaseModel):
    context: str


class Answer(BaseModel):
    response: str = Field(description="User's response")


class PromptInput(BaseModel):
    prompt: str = Field(description="The prompt to send to the client's model")


class MessageInput(BaseModel):
    message: str = Field(description="What to ask the user")


def _accepted(arguments: Arguments[Any], key: str) -> dict[str, Any] | None:
    answer = arguments.elicitation(key)
    if answer is None or answer.action != "accept" or answer.content is None:
        return None
    return answer.content


def test_input_required_result_elicitation(arguments: Arguments[NoArguments]) -> Any:
    """Asks the user for their name, then greets them."""
    content = _accepted(arguments, "user_name")
    if content is None or "name" not in content:
        return InputRequired({"user_name": Elicitation("What is your name?", Name)})
    return f"Hello, {content['name']}!"


def test_streaming_elicitation(arguments: Arguments[NoArguments]) -> Any:
    """Asks the user for their name through an input-required result."""
    return test_input_required_result_elicitation(arguments)


def test_input_required_result_sampling(arguments: Arguments[NoArguments]) -> Any:
    """Asks the client's model a question."""
    answer = arguments.sampling("capital_question")
    if answer is None:
        question = Sampling("What is the capital of France?", max_tokens=100)
        return InputRequired({"capital_question": question})
    return f"Sampling result: {answer.text}"


def test_input_required_result_list_roots(arguments: Arguments[NoArguments]) -> Any:
    """Asks the client for its roots."""
    answer = arguments.roots("client_roots")
    if answer is None:
        return InputRequired({"client_roots": ListRoots()})
    return f"Found {len(answer.roots)} root(s)"


def test_input_required_result_request_state(arguments: Arguments[NoArguments]) -> Any:
    """Asks for a confirmation and carries state across the round trip."""
    content = _accepted(arguments, "confirm")
    if content is None or arguments.request_state != {"round": 1}:
        return InputRequired(
            {"confirm": Elicitation("Please confirm", Confirm)}, state={"round": 1}
        )
    return f"state-ok: confirmed={content.get('ok')}"


def test_input_required_result_tampered_state(arguments: Arguments[NoArguments]) -> Any:
    """Like the request-state tool; a retry with an altered state is refused."""
    return test_input_required_result_request_state(arguments)


def test_input_required_result_multiple_inputs(arguments: Arguments[NoArguments]) -> Any:
    """Asks for a name, a model greeting and the roots at once."""
    name = _accepted(arguments, "user_name")
    greeting = arguments.sampling("greeting")
    roots = arguments.roots("client_roots")
    if name is None or greeting is None or roots is None:
        return InputRequired(
            {
                "user_name": Elicitation("What is your name?", Name),
                "greeting": Sampling("Generate a greeting", max_tokens=50),
                "client_roots": ListRoots(),
            },
            state={"asked": "all"},
        )
    return f"{greeting.text} {name.get('name')} ({len(roots.roots)} root(s))"


def test_input_required_result_multi_round(arguments: Arguments[NoArguments]) -> Any:
    """Asks two questions, one round each."""
    state = arguments.request_state or {}
    if state.get("round") == 2:
        color = _accepted(arguments, "step2")
        if color is not None:
            return f"{state['name']} likes {color.get('color')}"
    if state.get("round") == 1:
        name = _accepted(arguments, "step1")
        if name is not None:
            question = Elicitation("Step 2: What is your favorite color?", Color)
            return InputRequired({"step2": question}, state={"round": 2, "name": name.get("name")})
    first = Elicitation("Step 1: What is your name?", Name)
    return InputRequired({"step1": first}, state={"round": 1})


def test_input_required_result_capabilities(arguments: Arguments[NoArguments]) -> Any:
    """Asks only for the kinds of input the client declared."""
    if arguments.input_responses:
        return f"Received {len(arguments.input_responses)} answer(s)"
    declared = arguments.client_capabilities
    requests: dict[str, InputRequest] = {}
    if "sampling" in declared:
        requests["sample"] = Sampling("Say hello", max_tokens=20)
    if "elicitation" in declared:
        requests["ask"] = Elicitation("What is your name?", Name)
    if "roots" in declared:
        requests["roots"] = ListRoots()
    if not requests:
        return "No input kinds declared by the client"
    return InputRequired(requests)


def test_missing_capability(arguments: Arguments[NoArguments]) -> Any:
    """Needs the client's model, so it needs the sampling capability."""
    answer = arguments.sampling("summary")
    if answer is None:
        return InputRequired({"summary": Sampling("Summarize MCP in one line", max_tokens=50)})
    return f"Summary: {answer.text}"


def test_sampling(arguments: Arguments[PromptInput]) -> Any:
    """Asks the client's model to answer a prompt."""
    answer = arguments.sampling("completion")
    if answer is None:
        return InputRequired({"completion": Sampling(arguments.inputs.prompt, max_tokens=100)})
    return f"LLM response: {answer.text}"


def test_elicitation(arguments: Arguments[MessageInput]) -> Any:
    """Asks the user a question."""
    answer = arguments.elicitation("response")
    if answer is None:
        return InputRequired({"response": Elicitation(arguments.inputs.message, Answer)})
    return f"User response: action={answer.action}, content={answer.content}"


SEP1034_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
    "required": [],
}


def test_elicitation_sep1034_defaults(arguments: Arguments[NoArguments]) -> Any:
    """Asks the user to review a form whose fields have defaults."""
    answer = arguments.elicitation("form")
    if answer is None:
        message = "Please review and update the form fields with defaults"
        return InputRequired({"form": Elicitation(message, SEP1034_SCHEMA)})
    return f"Elicitation completed: action={answer.action}, content={answer.content}"


OPTIONS = ("option1", "option2", "option3")
SEP1330_SCHEMA = {
    "type": "object",
    "properties": {
        "untitledSingle": {"type": "string", "description": "Select one option", "enum": OPTIONS},
        "titledSingle": {
            "type": "string",
            "description": "Select one option with titles",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        "legacyEnum": {
            "type": "string",
            "description": "Select one option (legacy)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Select multiple options",
            "minItems": 1,
            "maxItems": 3,
            "items": {"type": "string", "enum": OPTIONS},
        },
        "titledMulti": {
            "type": "array",
            "description": "Select multiple options with titles",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
    "required": [],
}


def test_elicitation_sep1330_enums(arguments: Arguments[NoArguments]) -> Any:
    """Asks the user to pick from enumerated options."""
    answer = arguments.elicitation("choices")
    if answer is None:
        message = "Please select options from the enum fields"
        return InputRequired({"choices": Elicitation(message, SEP1330_SCHEMA)})
    return f"Elicitation completed: action={answer.action}, content={answer.content}"


# -- prompts ----------------------------------------------------------------------------------


def test_simple_prompt() -> list[PromptMessage]:
    """A prompt without arguments."""
    text = TextContent(text="This is a simple prompt for testing.")
    return [PromptMessage(role="user", content=text)]


class TwoArguments(BaseModel):
    arg1: str = Field(description="First test argument")
    arg2: str = Field(description="Second test argument")


def test_prompt_with_arguments(arguments: Arguments[TwoArguments]) -> list[PromptMessage]:
    """A prompt with two required arguments."""
    inputs = arguments.inputs
    text = f"Prompt with arguments: arg1='{inputs.arg1}', arg2='{inputs.arg2}'"
    return [PromptMessage(role="user", content=TextContent(text=text))]


class ResourceArgument(BaseModel):
    resource_uri: str = Field(alias="resourceUri", description="URI of the resource to embed")


def test_prompt_with_embedded_resource(
    arguments: Arguments[ResourceArgument],
) -> list[PromptMessage]:
    """A prompt that embeds a resource."""
    embedded = EmbeddedResource.from_text(
        arguments.inputs.resource_uri, "Embedded resource content for testing.", "text/plain"
    )
    return [
        PromptMessage(role="user", content=embedded),
        PromptMessage(
            role="user", content=TextContent(text="Please process the embedded resource above.")
        ),
    ]


def test_prompt_with_image() -> list[PromptMessage]:
    """A prompt that shows an image."""
    return [
        PromptMessage(role="user", content=ImageContent(data=PNG, mime_type="image/png")),
        PromptMessage(role="user", content=TextContent(text="Please analyze the image above.")),
    ]


def test_input_required_result_prompt(arguments: Arguments[NoArguments]) -> Any:
    """A prompt that first asks the user what context to use."""
    content = _accepted(arguments, "user_context")
    if content is None or "context" not in content:
        question = Elicitation("What context should the prompt use?", Context)
        return InputRequired({"user_context": question})
    text = f"Prompt with context: {content['context']}"
    return [PromptMessage(role="user", content=TextContent(text=text))]


async def complete_argument(value: str, context: Mapping[str, str]) -> list[str]:
    return [word for word in ("test", "testValue1", "testValue2") if word.startswith(value)]


# -- resources ----------------------------------------------------------------------------------


def static_text() -> str:
    """A fixed text resource."""
    return "This is the content of the static text resource."


def static_binary() -> bytes:
    """A fixed binary resource (a PNG image)."""
    return base64.b64decode(PNG)


def watched_resource() -> str:
    """A resource clients may subscribe to."""
    return "Watched resource content"


class TemplateParams(BaseModel):
    id: str


def template_data(arguments: Arguments[TemplateParams]) -> str:
    """JSON data for any id."""
    item = arguments.inputs.id
    return f'{{"id":"{item}","templateTest":true,"data":"Data for ID: {item}"}}'


# -- change notifications ------------------------------------------------------------------


async def test_trigger_tool_change() -> str:
    """Tells every listening client that the tool list changed."""
    await server.notify_tools_changed()
    return "Tool list change notified."


async def test_trigger_prompt_change() -> str:
    """Tells every listening client that the prompt list changed."""
    await server.notify_prompts_changed()
    return "Prompt list change notified."


def _tools() -> tuple[Tool, ...]:
    no_input = (
        test_simple_text,
        test_image_content,
        test_audio_content,
        test_embedded_resource,
        test_multiple_content_types,
        test_tool_with_logging,
        test_logging_tool,
        test_reconnection,
        test_tool_with_progress,
        test_error_handling,
        test_input_required_result_elicitation,
        test_streaming_elicitation,
        test_input_required_result_sampling,
        test_input_required_result_list_roots,
        test_input_required_result_request_state,
        test_input_required_result_tampered_state,
        test_input_required_result_multiple_inputs,
        test_input_required_result_multi_round,
        test_input_required_result_capabilities,
        test_missing_capability,
        test_elicitation_sep1034_defaults,
        test_elicitation_sep1330_enums,
        test_trigger_tool_change,
        test_trigger_prompt_change,
    )
    return (
        *(Tool(func=func) for func in no_input),
        Tool(func=test_sampling, inputs=PromptInput),
        Tool(func=test_elicitation, inputs=MessageInput),
        Tool(func=json_schema_2020_12_tool, inputs=ContactInput, input_schema=JSON_SCHEMA_2020_12),
        Tool(func=test_custom_header, inputs=RouteInput),
        *TASK_TOOLS,
    )


server = MCPServer(
    name="http-mcp-conformance-fixtures",
    version="1.0.0",
    tools=_tools(),
    prompts=(
        Prompt(func=test_simple_prompt),
        Prompt(
            func=test_prompt_with_arguments,
            arguments_type=TwoArguments,
            completions={"arg1": complete_argument, "arg2": complete_argument},
        ),
        Prompt(func=test_prompt_with_embedded_resource, arguments_type=ResourceArgument),
        Prompt(func=test_prompt_with_image),
        Prompt(func=test_input_required_result_prompt),
    ),
    resources=(
        Resource(
            uri="test://static-text",
            func=static_text,
            name="static-text",
            title="Static Text Resource",
            mime_type="text/plain",
        ),
        Resource(
            uri="test://static-binary",
            func=static_binary,
            name="static-binary",
            mime_type="image/png",
        ),
        Resource(
            uri="test://watched-resource",
            func=watched_resource,
            name="watched-resource",
            mime_type="text/plain",
        ),
        ResourceTemplate(
            uri_template="test://template/{id}/data",
            func=template_data,
            params=TemplateParams,
            name="template",
            description="JSON data for any id",
            mime_type="application/json",
        ),
    ),
    request_state_key=REQUEST_STATE_KEY,
    notifications=True,
    back_channel=True,
)

app = Starlette(routes=[Route("/mcp", server.app)])
