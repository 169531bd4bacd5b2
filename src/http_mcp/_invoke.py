"""Calling a user function: sync ones in a worker thread, async ones awaited."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import anyio.to_thread


def is_async(func: Callable[..., Any]) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - async callable objects
    )


async def invoke(func: Callable[..., Any], is_coroutine: bool, *args: Any) -> Any:
    if is_coroutine:
        return await func(*args)
    result = await anyio.to_thread.run_sync(functools.partial(func, *args))
    if inspect.isawaitable(result):
        return await result
    return result
