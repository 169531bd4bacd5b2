"""The types users declare servers with: tools, prompts, resources, their arguments and content."""

from http_mcp import _public
from http_mcp._arguments import Arguments, NoArguments
from http_mcp._channel import LogLevel
from http_mcp._declarations import Completer, CompletionContext, Prompt, Tool
from http_mcp._input import (
    Elicitation,
    ElicitationResponse,
    InputRequest,
    InputRequired,
    ListRoots,
    Root,
    RootsResponse,
    Sampling,
    SamplingMessage,
    SamplingResponse,
)
from http_mcp._resources import Resource, ResourceTemplate
from http_mcp._results import ToolResult
from http_mcp._wire import (
    Annotations,
    AudioContent,
    BlobResourceContents,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    PromptMessage,
    ResourceLink,
    TextContent,
    TextResourceContents,
    ToolAnnotations,
)

__all__ = [
    "Annotations",
    "Arguments",
    "AudioContent",
    "BlobResourceContents",
    "Completer",
    "CompletionContext",
    "ContentBlock",
    "Elicitation",
    "ElicitationResponse",
    "EmbeddedResource",
    "ImageContent",
    "InputRequest",
    "InputRequired",
    "ListRoots",
    "LogLevel",
    "NoArguments",
    "Prompt",
    "PromptMessage",
    "Resource",
    "ResourceLink",
    "ResourceTemplate",
    "Root",
    "RootsResponse",
    "Sampling",
    "SamplingMessage",
    "SamplingResponse",
    "TextContent",
    "TextResourceContents",
    "Tool",
    "ToolAnnotations",
    "ToolResult",
]

_public.publish(__name__, globals(), __all__)
