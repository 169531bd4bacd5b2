"""MCP wire models: what crosses the wire as JSON, with camelCase names."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AnyUrl, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Base of every wire model: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Annotations(WireModel):
    """Hints about a content block: who it is for and how important it is."""

    audience: tuple[Literal["user", "assistant"], ...] | None = None
    priority: float | None = Field(default=None, ge=0, le=1)


class TextContent(WireModel):
    """Plain text for the model or the user."""

    type: Literal["text"] = "text"
    text: str
    annotations: Annotations | None = None


class ImageContent(WireModel):
    """An image, base64-encoded."""

    type: Literal["image"] = "image"
    data: str
    mime_type: str
    annotations: Annotations | None = None


class AudioContent(WireModel):
    """A sound clip, base64-encoded."""

    type: Literal["audio"] = "audio"
    data: str
    mime_type: str
    annotations: Annotations | None = None


class TextResourceContents(WireModel):
    """The text of a resource."""

    uri: AnyUrl
    text: str
    mime_type: str | None = None


class BlobResourceContents(WireModel):
    """The bytes of a resource, base64-encoded."""

    uri: AnyUrl
    blob: str
    mime_type: str | None = None


class EmbeddedResource(WireModel):
    """A resource's contents carried inline."""

    type: Literal["resource"] = "resource"
    resource: TextResourceContents | BlobResourceContents
    annotations: Annotations | None = None


ContentBlock = TextContent | ImageContent | AudioContent | EmbeddedResource


class PromptMessage(WireModel):
    """One message of a prompt, from the user or the assistant."""

    role: Literal["user", "assistant"]
    content: ContentBlock


class ToolAnnotations(WireModel):
    """Hints about a tool's behaviour. Clients must not trust them for security decisions."""

    title: str | None = None
    read_only_hint: bool | None = None
    destructive_hint: bool | None = None
    idempotent_hint: bool | None = None
    open_world_hint: bool | None = None
