"""MCP wire models: what crosses the wire as JSON, with camelCase names."""

from __future__ import annotations

import base64
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
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
        # Schemas are built on first use, not at import: most servers use a few of these.
        defer_build=True,
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
    """An image, base64-encoded. `ImageContent.from_bytes(png, "image/png")` encodes it."""

    type: Literal["image"] = "image"
    data: str
    mime_type: str
    annotations: Annotations | None = None

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> ImageContent:
        """An image block from raw bytes (base64-encoded for the wire)."""
        return cls(data=base64.b64encode(data).decode("ascii"), mime_type=mime_type)


class AudioContent(WireModel):
    """A sound clip, base64-encoded. `AudioContent.from_bytes(wav, "audio/wav")` encodes it."""

    type: Literal["audio"] = "audio"
    data: str
    mime_type: str
    annotations: Annotations | None = None

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> AudioContent:
        """An audio block from raw bytes (base64-encoded for the wire)."""
        return cls(data=base64.b64encode(data).decode("ascii"), mime_type=mime_type)


class TextResourceContents(WireModel):
    """The text of a resource."""

    uri: str
    text: str
    mime_type: str | None = None


class BlobResourceContents(WireModel):
    """The bytes of a resource, base64-encoded."""

    uri: str
    blob: str
    mime_type: str | None = None


class EmbeddedResource(WireModel):
    """A resource's contents carried inline."""

    type: Literal["resource"] = "resource"
    resource: TextResourceContents | BlobResourceContents
    annotations: Annotations | None = None

    @classmethod
    def from_text(cls, uri: str, text: str, mime_type: str | None = None) -> EmbeddedResource:
        """A resource embedded as text."""
        contents = TextResourceContents(uri=uri, text=text, mime_type=mime_type)
        return cls(resource=contents)

    @classmethod
    def from_bytes(cls, uri: str, data: bytes, mime_type: str | None = None) -> EmbeddedResource:
        """A resource embedded as bytes (base64-encoded for the wire)."""
        blob = base64.b64encode(data).decode("ascii")
        return cls(resource=BlobResourceContents(uri=uri, blob=blob, mime_type=mime_type))


class ResourceLink(WireModel):
    """A pointer to a resource the client can read (or fetch) itself."""

    type: Literal["resource_link"] = "resource_link"
    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    annotations: Annotations | None = None


ContentBlock = TextContent | ImageContent | AudioContent | EmbeddedResource | ResourceLink


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
