"""Turn pydantic validation errors into short lines a model can act on.

`vulnerability_id: must be a valid UUID4, got 'abc123'`: the field path as the client spells
it, what was expected, and (briefly) what came.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, to_json

_MAX_SHOWN = 40
_MAX_LINES = 20
_SHOULD = re.compile(r"^(Input|Value|String|List|Dictionary|Tuple|Set|Object|Data) should ")
# What the client sent must not break the message into lines it did not come with.
_ESCAPES = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, 0x85)},
    **{code: f"\\u{code:04x}" for code in (0x2028, 0x2029)},
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}

JSONSchema = dict[str, Any]


def describe(exc: ValidationError, schema: JSONSchema, root: str = "arguments") -> list[str]:
    """One line per problem, at most `_MAX_LINES` (then a count of the rest)."""
    expected: dict[str, list[str]] = {}
    shown: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_context=True):
        path, leaf = _locate(error["loc"], schema)
        path = path or root
        wants = expected.setdefault(path, [])
        text = _expected(error, leaf)
        if text not in wants:
            wants.append(text)
        if error["type"] != "missing":
            shown[path] = f", got {_shown(error['input'])}"
    lines = [f"{path}: {_join(wants)}{shown.get(path, '')}" for path, wants in expected.items()]
    if len(lines) > _MAX_LINES:
        rest = len(lines) - _MAX_LINES
        lines = [*lines[:_MAX_LINES], f"... and {rest} more problems"]
    return lines


def _join(wants: list[str]) -> str:
    if len(wants) > 1 and all(w.startswith("must be ") for w in wants):
        return "must be " + " or ".join(w.removeprefix("must be ") for w in wants)
    return "; ".join(wants)


def _expected(error: ErrorDetails, leaf: JSONSchema) -> str:
    kind = error["type"]
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be an object"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not an accepted field"
    if kind in ("uuid_parsing", "uuid_type", "uuid_version"):
        return f"must be a valid {_uuid_name(error, leaf)}"
    message = error["msg"]
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    if message.startswith("Assertion failed, "):
        return message.removeprefix("Assertion failed, ")
    text = _SHOULD.sub("must ", message).split(" [")[0]
    if kind.endswith("_parsing"):
        text = text.split(", ", 1)[0]
    return text


def _uuid_name(error: ErrorDetails, leaf: JSONSchema) -> str:
    version = (error.get("ctx") or {}).get("expected_version")
    if version is None:
        fmt = str(leaf.get("format", ""))
        version = fmt.removeprefix("uuid") if fmt.startswith("uuid") else ""
    return f"UUID{version}"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return "'" + _clip(value).replace("'", "\\'") + "'"
    try:
        text = to_json(value, fallback=lambda _: "?").decode()
    except ValueError:  # pragma: no cover - to_json with a fallback only fails on cycles
        text = "?"
    if len(text) > _MAX_SHOWN:
        kind = (
            "an object"
            if isinstance(value, dict)
            else "a list"
            if isinstance(value, list)
            else "a value"
        )
        return f"{kind} ({len(text)} characters of JSON)"
    return text


def _clip(text: str) -> str:
    """Client text, shortened and with its line breaks and control characters escaped."""
    text = text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."
    return text.translate(_ESCAPES)


def _locate(loc: tuple[int | str, ...], schema: JSONSchema) -> tuple[str, JSONSchema]:
    """Follow `loc` through the schema; skip the union-member tags pydantic adds."""
    node = _resolve(schema, schema)
    path = ""
    for part in loc:
        child = _child(node, part, schema)
        if child is None and isinstance(part, str) and _is_union(node):
            continue
        if isinstance(part, int):
            path = f"{path}[{part}]"
        else:
            path = f"{path}.{_clip(part)}" if path else _clip(part)
        node = child if child is not None else {}
    return path, node


def _child(node: JSONSchema, part: int | str, root: JSONSchema) -> JSONSchema | None:
    candidates = [node, *(_resolve(alt, root) for alt in _alternatives(node))]
    for candidate in candidates:
        if isinstance(part, str) and part in candidate.get("properties", {}):
            return _resolve(candidate["properties"][part], root)
        if isinstance(part, str) and isinstance(candidate.get("additionalProperties"), dict):
            return _resolve(candidate["additionalProperties"], root)
        if isinstance(part, int) and isinstance(candidate.get("items"), dict):
            return _resolve(candidate["items"], root)
    return None


def _alternatives(node: JSONSchema) -> list[JSONSchema]:
    return [*node.get("anyOf", ()), *node.get("oneOf", ()), *node.get("allOf", ())]


def _is_union(node: JSONSchema) -> bool:
    return bool(node.get("anyOf") or node.get("oneOf"))


def _resolve(node: JSONSchema, root: JSONSchema) -> JSONSchema:
    seen = 0
    while "$ref" in node and seen < 32:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        node = root.get("$defs", {}).get(name, {})
        seen += 1
    return node
