"""`ToolResult`: a tool's output together with extra content blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic

from typing_extensions import TypeVar

from http_mcp._wire import ContentBlock

Out = TypeVar("Out", covariant=True, default=Any)


@dataclass(frozen=True, slots=True)
class ToolResult(Generic[Out]):
    """A tool's output together with extra content blocks (an image, a resource link...).

    Args:
        output: The declared output model instance (or a dict that validates against it);
            `None` for a tool without `output`.
        content: Content blocks sent after the output's JSON text block.

    A function annotated `-> ToolResult[Model]` declares `Model` as the tool's output.
    """

    output: Out | dict[str, Any] | None = None
    content: Sequence[ContentBlock] = ()
