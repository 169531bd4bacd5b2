"""Resources: fixed URIs and RFC 6570 level-1 templates, read through a user function."""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError

from http_mcp._arguments import Arguments, NoArguments
from http_mcp._call import Call
from http_mcp._concurrency import invoke, is_async
from http_mcp._declarations import (
    Completer,
    In,
    assign,
    check_common,
    check_completions,
    default_description,
    default_name,
    one_of,
    takes_arguments,
)
from http_mcp._signature import read_function
from http_mcp._validation import describe
from http_mcp._wire import BlobResourceContents, TextResourceContents
from http_mcp.jsonrpc import INVALID_PARAMS, JSONRPCError

_VARIABLE = re.compile(r"\{([A-Za-z0-9_]+)\}")
_I = TypeVar("_I", bound=BaseModel)

_Content: TypeAlias = str | bytes | TextResourceContents | BlobResourceContents
_ResourceValue: TypeAlias = _Content | Sequence[_Content]
ResourceReturn: TypeAlias = _ResourceValue | Awaitable[_ResourceValue]


@dataclass(frozen=True, slots=True, init=False)
class Resource:
    """Data at a fixed URI that clients can list and read.

    Args:
        uri: The resource's URI, e.g. `file:///reports/latest.md`.
        func: Sync or async function taking no parameter (or one `Arguments[NoArguments]`),
            returning `str` (text), `bytes` (sent base64-encoded) or resource contents.
        name: A short identifier; defaults to the function's name.
        title: A display name for people.
        description: Defaults to the function's docstring.
        mime_type: The MIME type of the contents.
        scopes: Scopes the caller needs (all of them) to see and read it.
    """

    uri: str
    func: Callable[..., Any]
    name: str | None
    title: str | None
    description: str | None
    mime_type: str | None
    scopes: tuple[str, ...]

    def __init__(
        self,
        uri: str,
        func: Callable[[], ResourceReturn] | Callable[[Arguments[NoArguments]], ResourceReturn],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        scopes: Iterable[str] = (),
    ) -> None:
        _check_uri("Resource", uri, mime_type)
        checked_scopes = check_common("Resource", func, name, title, description, scopes)
        if _VARIABLE.search(uri):
            raise ValueError(f"Resource uri {uri!r} has a {{variable}}; declare a ResourceTemplate")
        read_function("Resource", func, None, has_inputs=False)
        assign(
            self,
            uri=uri,
            func=func,
            name=name,
            title=title,
            description=description,
            mime_type=mime_type,
            scopes=checked_scopes,
        )


@dataclass(frozen=True, slots=True, init=False)
class ResourceTemplate(Generic[In]):
    """A family of resources addressed by an RFC 6570 level-1 URI template.

    Args:
        uri_template: e.g. `vulns://advisory/{vulnerability_id}`. Each `{variable}` matches one
            URI segment (no `/`) and is percent-decoded.
        func: Sync or async function taking one `Arguments[Model]` parameter, returning what a
            `Resource` function returns.
        inputs: Pydantic model with one field per variable; values are validated by it.
            Defaults to the model of the function's `Arguments[Model]` annotation.
        params: Another name for `inputs` (give one of the two).
        name: As for `Resource`.
        title: As for `Resource`.
        description: As for `Resource`.
        mime_type: As for `Resource`.
        scopes: As for `Resource`.
        completions: Suggestions for variable values, by variable name, as for `Prompt`.
    """

    uri_template: str
    func: Callable[..., Any]
    inputs: type[In]
    name: str | None
    title: str | None
    description: str | None
    mime_type: str | None
    scopes: tuple[str, ...]
    completions: Mapping[str, Completer]

    def __init__(
        self: ResourceTemplate[_I],
        uri_template: str,
        func: Callable[[Arguments[_I]], ResourceReturn],
        *,
        inputs: type[_I] | None = None,
        params: type[_I] | None = None,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        scopes: Iterable[str] = (),
        completions: Mapping[str, Completer] | None = None,
    ) -> None:
        _check_uri("ResourceTemplate", uri_template, mime_type)
        kind = "ResourceTemplate"
        checked_scopes = check_common(kind, func, name, title, description, scopes)
        model = read_function(kind, func, one_of(kind, inputs, "params", params)).inputs
        variables = _VARIABLE.findall(uri_template)
        if not variables:
            raise ValueError(f"{kind} {uri_template!r} has no {{variable}}; declare a Resource")
        repeated = sorted({v for v in variables if variables.count(v) > 1})
        if repeated:
            raise ValueError(f"{kind} {uri_template!r} names {', '.join(repeated)} more than once")
        _check_params(uri_template, variables, model)
        completions = {} if completions is None else completions
        check_completions(kind, completions, set(variables))
        assign(
            self,
            uri_template=uri_template,
            func=func,
            inputs=model,
            name=name,
            title=title,
            description=description,
            mime_type=mime_type,
            scopes=checked_scopes,
            completions=completions,
        )

    @property
    def params(self) -> type[In]:
        """The template's input model: another name for `inputs`."""
        return self.inputs


def _check_params(template: str, variables: list[str], params: type[BaseModel]) -> None:
    """Every variable fills a field, and every required field has a variable."""
    fields = _fields_by_input_name(params)
    missing = [v for v in variables if v not in fields]
    if missing:
        raise TypeError(
            f"ResourceTemplate params {params.__name__} has no field for {', '.join(missing)}"
        )
    covered = {fields[v] for v in variables}
    uncovered = [
        name
        for name, info in params.model_fields.items()
        if info.is_required() and name not in covered
    ]
    if uncovered:
        raise TypeError(
            f"ResourceTemplate params {params.__name__} requires {', '.join(uncovered)}, "
            f"which {template!r} has no {{variable}} for"
        )


def _fields_by_input_name(model: type[BaseModel]) -> dict[str, str]:
    """The names a value may arrive under, mapped to the field they fill."""
    config = model.model_config
    by_name = bool(config.get("validate_by_name") or config.get("populate_by_name"))
    names: dict[str, str] = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        names[alias or name] = name
        if by_name:
            names[name] = name
    return names


def _check_uri(kind: str, uri: Any, mime_type: Any) -> None:
    if not isinstance(uri, str) or not uri:
        raise TypeError(f"{kind} needs a non-empty URI string")
    if mime_type is not None and not isinstance(mime_type, str):
        raise TypeError(f"{kind} mime_type must be a string, got {type(mime_type).__name__}")


@dataclass(frozen=True, slots=True, eq=False)
class RegisteredResource:
    declaration: Resource | ResourceTemplate[Any]
    name: str
    scopes: frozenset[str]
    definition: dict[str, Any]
    pattern: re.Pattern[str] | None
    variables: tuple[str, ...]
    wants_arguments: bool
    is_coroutine: bool

    @classmethod
    def build(cls, declaration: Resource | ResourceTemplate[Any]) -> RegisteredResource:
        name = declaration.name or default_name(declaration.func)
        definition: dict[str, Any] = {}
        if isinstance(declaration, Resource):
            definition["uri"] = declaration.uri
            pattern = None
        else:
            definition["uriTemplate"] = declaration.uri_template
            pattern = _compile(declaration.uri_template)
        definition["name"] = name
        if declaration.title is not None:
            definition["title"] = declaration.title
        description = declaration.description or default_description(declaration.func)
        if description:
            definition["description"] = description
        if declaration.mime_type is not None:
            definition["mimeType"] = declaration.mime_type
        return cls(
            declaration=declaration,
            name=name,
            scopes=frozenset(declaration.scopes),
            definition=definition,
            pattern=pattern,
            variables=tuple(_VARIABLE.findall(definition.get("uriTemplate", ""))),
            wants_arguments=takes_arguments(declaration.func),
            is_coroutine=is_async(declaration.func),
        )

    def match(self, uri: str) -> dict[str, str] | None:
        if self.pattern is None:
            return {} if uri == self.definition["uri"] else None
        found = self.pattern.fullmatch(uri)
        if found is None:
            return None
        return {
            k: urllib.parse.unquote(v) for k, v in zip(self.variables, found.groups(), strict=True)
        }

    async def read(self, uri: str, values: dict[str, str], call: Call) -> list[dict[str, Any]]:
        declaration = self.declaration
        model = declaration.inputs if isinstance(declaration, ResourceTemplate) else NoArguments
        try:
            inputs = model.model_validate(values)
        except ValidationError as exc:
            schema = model.model_json_schema(by_alias=True)
            problems = "; ".join(describe(exc, schema, root="uri"))
            raise JSONRPCError(
                INVALID_PARAMS, f"Invalid resource URI {uri!r}: {problems}"
            ) from None
        # A resource function gets no notifications and no input round.
        args = (Arguments(inputs, call.request),) if self.wants_arguments else ()
        value = await invoke(declaration.func, self.is_coroutine, *args)
        return contents_of(value, uri, declaration.mime_type)


def contents_of(value: Any, uri: str, mime_type: str | None) -> list[dict[str, Any]]:
    """The `contents` of a `resources/read` result; never empty."""
    several = isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)
    items = value if several else [value]
    contents = [_one(item, uri, mime_type) for item in items]
    if not contents:
        raise TypeError("a resource function returned no contents")
    return contents


def _one(item: Any, uri: str, mime_type: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"uri": uri}
    if mime_type is not None:
        entry["mimeType"] = mime_type
    if isinstance(item, str):
        entry["text"] = item
    elif isinstance(item, bytes | bytearray):
        entry["blob"] = base64.b64encode(item).decode("ascii")
    elif isinstance(item, TextResourceContents | BlobResourceContents):
        return item.to_wire()
    else:
        raise TypeError(
            f"a resource function returns str, bytes or resource contents, "
            f"got {type(item).__name__}"
        )
    return entry


def _compile(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for found in _VARIABLE.finditer(template):
        parts.append(re.escape(template[position : found.start()]))
        parts.append("([^/?#]+)")
        position = found.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))


def find(
    resources: Sequence[RegisteredResource], uri: str, scopes: frozenset[str]
) -> tuple[RegisteredResource, dict[str, str]] | None:
    """The first of `resources` that matches `uri` and the caller may see.

    Give fixed resources before templates (`in_lookup_order`), so that a fixed URI wins over
    a template that also matches it. A resource hidden by its scopes is skipped, not refused,
    so that it answers exactly as if it were absent: a template matching the same URI serves
    it then.
    """
    for resource in resources:
        if not resource.scopes <= scopes:
            continue
        values = resource.match(uri)
        if values is not None:
            return resource, values
    return None


def in_lookup_order(resources: Sequence[RegisteredResource]) -> list[RegisteredResource]:
    """Fixed resources first, then templates, each in declaration order."""
    return sorted(resources, key=lambda r: r.pattern is not None)
