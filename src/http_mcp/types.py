"""The types users declare servers with: tools, prompts, their arguments and content blocks."""

from http_mcp._arguments import Arguments, NoArguments
from http_mcp._declarations import Prompt, Tool
from http_mcp._wire import (
    Annotations,
    AudioContent,
    BlobResourceContents,
    EmbeddedResource,
    ImageContent,
    PromptMessage,
    TextContent,
    TextResourceContents,
    ToolAnnotations,
)

__all__ = [
    "Annotations",
    "Arguments",
    "AudioContent",
    "BlobResourceContents",
    "EmbeddedResource",
    "ImageContent",
    "NoArguments",
    "Prompt",
    "PromptMessage",
    "TextContent",
    "TextResourceContents",
    "Tool",
    "ToolAnnotations",
]
