"""Plain functions with one keyword parameter per field, for libraries that read signatures.

The official SDK and FastMCP derive a tool's schema from its function's parameters, so each
catalog tool becomes a function whose signature carries the same fields, descriptions and
defaults as the catalog's Pydantic model.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import Field

from benchmarks.servers import catalog


async def add(
    a: Annotated[int, Field(description="The first addend")],
    b: Annotated[int, Field(description="The second addend")],
) -> catalog.AddOutput:
    return catalog.add_result(a, b)


add.__doc__ = catalog.ADD_DESCRIPTION


def function_of(spec: catalog.ToolSpec) -> Callable[..., Awaitable[catalog.Receipt]]:
    async def handle(**arguments: Any) -> catalog.Receipt:
        return catalog.receipt(spec.name, arguments)

    parameters = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if f.required else f.default,
            annotation=Annotated[f.annotation, Field(description=f.description)],
        )
        for f in spec.fields
    ]
    handle.__name__ = handle.__qualname__ = spec.name
    handle.__doc__ = spec.description
    handle.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=catalog.Receipt
    )
    handle.__annotations__ = {p.name: p.annotation for p in parameters}
    handle.__annotations__["return"] = catalog.Receipt
    return handle
