"""What `http_mcp.testing` hands back: the wire's answers as small typed objects.

Each object keeps the JSON it was read from as `raw`, for assertions about the wire itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from http_mcp._wire import (
    BlobResourceContents,
    ContentBlock,
    PromptMessage,
    TextContent,
    TextResourceContents,
)

_CONTENT = TypeAdapter(tuple[ContentBlock, ...])
_CONTENTS = TypeAdapter(tuple[TextResourceContents | BlobResourceContents, ...])
_MESSAGES = TypeAdapter(tuple[PromptMessage, ...])


class MCPError(Exception):
    """The server answered a request with a JSON-RPC error.

    Attributes:
        code: The JSON-RPC error code, e.g. `-32602` for invalid params or an unknown tool.
        message: The error message.
        data: The error's `data`, or `None`.
        status_code: The HTTP status of the response (400, 404, 200 at the handshake wire...).
        headers: The response headers, names in lower case (a 403's `www-authenticate`...).

    Example:
        ```python
        with pytest.raises(MCPError) as caught:
            client.call_tool("no_such_tool")
        assert caught.value.code == -32602
        ```
    """

    def __init__(
        self,
        code: int,
        message: str,
        data: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data
        self.status_code = status_code
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class Progress:
    """One `notifications/progress` a request received before its result."""

    progress: float
    total: float | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class LogMessage:
    """One `notifications/message` (a log message) a request received before its result."""

    level: str
    data: Any
    logger: str | None = None


@dataclass(frozen=True, slots=True)
class Notifications:
    """The notifications a request's response carried before its result, in order."""

    raw: tuple[dict[str, Any], ...] = ()

    @property
    def progress(self) -> tuple[Progress, ...]:
        """The progress notifications."""
        return tuple(
            Progress(p["progress"], p.get("total"), p.get("message"))
            for p in self._params("notifications/progress")
        )

    @property
    def logs(self) -> tuple[LogMessage, ...]:
        """The log messages."""
        return tuple(
            LogMessage(p["level"], p.get("data"), p.get("logger"))
            for p in self._params("notifications/message")
        )

    def _params(self, method: str) -> list[dict[str, Any]]:
        return [n.get("params", {}) for n in self.raw if n.get("method") == method]


@dataclass(frozen=True, slots=True)
class CallToolResult:
    """The answer to `tools/call`.

    Attributes:
        content: The content blocks, as `http_mcp.types` content models.
        structured_content: The `structuredContent` object, for tools with an output model.
        is_error: Whether this is an error result: the input failed validation, or the tool
            raised. The message the model reads is `text`.
        input_requests: At 2026-07-28, when the tool asked for input (`InputRequired`): the
            requests by key, as on the wire; `None` for a complete result.
        request_state: The `requestState` to send back with the answers, if any.
        notifications: The progress and log messages sent before the result.
        raw: The result object as it came over the wire.
    """

    content: tuple[ContentBlock, ...]
    structured_content: Any
    is_error: bool
    input_requests: dict[str, Any] | None = None
    request_state: str | None = None
    notifications: Notifications = field(default_factory=Notifications)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text blocks' text joined by newlines: what a model reads of this result."""
        return _joined_text(self.content)

    @property
    def input_required(self) -> bool:
        """Whether the tool asked for input instead of finishing (2026-07-28)."""
        return self.raw.get("resultType") == "input_required"


@dataclass(frozen=True, slots=True)
class GetPromptResult:
    """The answer to `prompts/get`.

    Attributes:
        messages: The prompt's messages.
        description: The prompt's description, if the result carries one.
        input_requests: As for `CallToolResult`, when the prompt asked for input.
        request_state: As for `CallToolResult`.
        notifications: The progress and log messages sent before the result.
        raw: The result object as it came over the wire.
    """

    messages: tuple[PromptMessage, ...]
    description: str | None = None
    input_requests: dict[str, Any] | None = None
    request_state: str | None = None
    notifications: Notifications = field(default_factory=Notifications)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text of the messages' text blocks, joined by newlines."""
        return _joined_text([m.content for m in self.messages])


@dataclass(frozen=True, slots=True)
class ReadResourceResult:
    """The answer to `resources/read`.

    Attributes:
        contents: The resource's contents: text, or base64 `blob`s.
        raw: The result object as it came over the wire.
    """

    contents: tuple[TextResourceContents | BlobResourceContents, ...]
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text contents joined by newlines."""
        return "\n".join(c.text for c in self.contents if isinstance(c, TextResourceContents))


@dataclass(frozen=True, slots=True)
class Completion:
    """The answer to `completion/complete`: suggested values for an argument."""

    values: tuple[str, ...]
    total: int | None = None
    has_more: bool = False


@dataclass(frozen=True, slots=True)
class ListedTool:
    """A tool as `tools/list` describes it; `annotations` as on the wire (`readOnlyHint`...)."""

    name: str
    description: str | None
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    raw: dict[str, Any]
    title: str | None = None
    annotations: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ListedPrompt:
    """A prompt as `prompts/list` describes it; `arguments` as on the wire."""

    name: str
    description: str | None
    arguments: tuple[dict[str, Any], ...]
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ListedResource:
    """A resource (`uri`) or a resource template (`uri_template`) as its list describes it."""

    name: str
    uri: str | None
    uri_template: str | None
    description: str | None
    mime_type: str | None
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Who answered, from `initialize` (handshake revisions) or `server/discover` (2026-07-28).

    Attributes:
        name: The server's name.
        version: The server's version.
        protocol_version: The revision this client speaks with the server.
        capabilities: The server's capabilities.
        instructions: The server's instructions for the model, if any.
        raw: The `initialize` or `server/discover` result as it came over the wire.
    """

    name: str
    version: str
    protocol_version: str
    capabilities: dict[str, Any]
    instructions: str | None
    raw: dict[str, Any]


def tool_result(result: dict[str, Any], notifications: Sequence[dict[str, Any]]) -> CallToolResult:
    return CallToolResult(
        content=_CONTENT.validate_python(result.get("content", [])),
        structured_content=result.get("structuredContent"),
        is_error=result.get("isError", False) is True,
        input_requests=result.get("inputRequests"),
        request_state=result.get("requestState"),
        notifications=Notifications(tuple(notifications)),
        raw=result,
    )


def prompt_result(
    result: dict[str, Any], notifications: Sequence[dict[str, Any]]
) -> GetPromptResult:
    return GetPromptResult(
        messages=_MESSAGES.validate_python(result.get("messages", [])),
        description=result.get("description"),
        input_requests=result.get("inputRequests"),
        request_state=result.get("requestState"),
        notifications=Notifications(tuple(notifications)),
        raw=result,
    )


def resource_result(result: dict[str, Any]) -> ReadResourceResult:
    return ReadResourceResult(_CONTENTS.validate_python(result.get("contents", [])), result)


def completion(result: dict[str, Any]) -> Completion:
    found = result.get("completion", {})
    return Completion(
        tuple(found.get("values", ())), found.get("total"), bool(found.get("hasMore"))
    )


def listed_tool(item: Mapping[str, Any]) -> ListedTool:
    return ListedTool(
        item["name"],
        item.get("description"),
        item.get("inputSchema", {}),
        item.get("outputSchema"),
        dict(item),
        item.get("title"),
        item.get("annotations"),
    )


def listed_prompt(item: Mapping[str, Any]) -> ListedPrompt:
    return ListedPrompt(
        item["name"], item.get("description"), tuple(item.get("arguments", ())), dict(item)
    )


def listed_resource(item: Mapping[str, Any]) -> ListedResource:
    return ListedResource(
        item["name"],
        item.get("uri"),
        item.get("uriTemplate"),
        item.get("description"),
        item.get("mimeType"),
        dict(item),
    )


def server_info(result: dict[str, Any], protocol_version: str) -> ServerInfo:
    info = result.get("serverInfo") or result.get("_meta", {}).get(
        "io.modelcontextprotocol/serverInfo", {}
    )
    return ServerInfo(
        name=info.get("name", ""),
        version=info.get("version", ""),
        protocol_version=protocol_version,
        capabilities=result.get("capabilities", {}),
        instructions=result.get("instructions"),
        raw=result,
    )


def _joined_text(blocks: Sequence[ContentBlock]) -> str:
    return "\n".join(b.text for b in blocks if isinstance(b, TextContent))
