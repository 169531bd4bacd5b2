"""Changing what a server offers while it serves: the registry rebuilt, the lists that changed.

`MCPServer.add` and `MCPServer.remove` use these, then tell listening clients.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from http_mcp._declarations import Prompt, Tool
from http_mcp._prompts import RegisteredPrompt
from http_mcp._registry import Registry, address
from http_mcp._resources import RegisteredResource, Resource, ResourceTemplate
from http_mcp._tools import RegisteredTool

Declaration = Tool[Any, Any] | Prompt[Any] | Resource | ResourceTemplate[Any]


def add(registry: Registry, declarations: Sequence[Declaration]) -> list[tuple[str, Audience]]:
    """Add the declarations to `registry`; the lists that changed, and who may see it.

    Raises:
        TypeError: one is not a `Tool`, `Prompt`, `Resource` or `ResourceTemplate`.
        ValueError: a name (a resource's URI) is taken.
    """
    for declaration in declarations:
        if not isinstance(declaration, Tool | Prompt | Resource | ResourceTemplate):
            raise TypeError(
                "add() takes Tool, Prompt, Resource and ResourceTemplate objects, "
                f"got {declaration!r}"
            )
    tools, prompts, resources = registry.declared
    new_tools = [RegisteredTool.build(d) for d in declarations if isinstance(d, Tool)]
    new_prompts = [RegisteredPrompt.build(d) for d in declarations if isinstance(d, Prompt)]
    new_resources = [
        RegisteredResource.build(d)
        for d in declarations
        if isinstance(d, Resource | ResourceTemplate)
    ]
    all_tools = (*tools, *new_tools)
    all_prompts = (*prompts, *new_prompts)
    all_resources = (*resources, *new_resources)
    check_unique([t.name for t in all_tools], "tool")
    check_unique([p.name for p in all_prompts], "prompt")
    check_unique([address(r) for r in all_resources], "resource")
    registry.load(all_tools, all_prompts, all_resources)
    return _changed(new_tools, new_prompts, new_resources)


def remove(
    registry: Registry, tools: Iterable[str], prompts: Iterable[str], resources: Iterable[str]
) -> list[tuple[str, Audience]]:
    """Remove tools and prompts by name, resources by URI (templates by URI template).

    Raises:
        ValueError: one of them is not offered.
    """
    current_tools, current_prompts, current_resources = registry.declared
    gone_tools = _named(current_tools, set(tools), lambda t: t.name, "tool")
    gone_prompts = _named(current_prompts, set(prompts), lambda p: p.name, "prompt")
    gone_resources = _named(current_resources, set(resources), address, "resource")
    registry.load(
        tuple(t for t in current_tools if t not in gone_tools),
        tuple(p for p in current_prompts if p not in gone_prompts),
        tuple(r for r in current_resources if r not in gone_resources),
    )
    return _changed(gone_tools, gone_prompts, gone_resources)


def _named(items: Sequence[Any], names: set[str], name_of: Any, kind: str) -> list[Any]:
    found = [item for item in items if name_of(item) in names]
    missing = names - {name_of(item) for item in found}
    if missing:
        raise ValueError(f"remove(): no {kind} is named {sorted(missing)[0]!r}")
    return found


Audience = tuple[tuple[str, ...], ...] | None
"""Who may hear of a change: callers holding every scope of one of these sets (`None`: all)."""


def _changed(
    tools: Sequence[Any], prompts: Sequence[Any], resources: Sequence[Any]
) -> list[tuple[str, Audience]]:
    """The lists that changed, each with who may see at least one item that changed in it."""
    changed: list[tuple[str, Audience]] = []
    for kind, items in (("tools", tools), ("prompts", prompts), ("resources", resources)):
        if not items:
            continue
        needed = {tuple(sorted(item.scopes)) for item in items}
        changed.append((kind, None if () in needed else tuple(sorted(needed))))
    return changed


def check_unique(names: list[str], kind: str) -> None:
    """Raise `ValueError` when two of `names` are the same."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"two {kind}s are named {name!r}; give one of them another `name=`")
        seen.add(name)
