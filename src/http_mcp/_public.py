"""Public names report the public module users import them from, not the private one."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any


def publish(module: str, namespace: Mapping[str, Any], names: Iterable[str]) -> None:
    """Set `__module__` of the classes and functions `names` in `namespace` to `module`.

    So that reprs, tracebacks, pickles and the API reference name `http_mcp.types.Tool`
    rather than the private module it is defined in.
    """
    for name in names:
        value = namespace.get(name)  # a name loaded on first use is published then
        if inspect.isclass(value) or inspect.isfunction(value):
            value.__module__ = module
