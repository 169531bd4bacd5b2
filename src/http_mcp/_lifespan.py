"""Run an ASGI app's lifespan outside a web server, to get the state it yields.

Under STDIO there is no web server to run the application's lifespan, yet tools read lifespan
state exactly as under HTTP. This drives the ASGI lifespan protocol directly.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.types import ASGIApp, Message

logger = logging.getLogger("http_mcp")


class LifespanError(RuntimeError):
    """The application's lifespan reported that its startup failed."""


@asynccontextmanager
async def lifespan_state(app: ASGIApp) -> AsyncIterator[dict[str, Any]]:
    """Start `app`'s lifespan, yield its state, and shut it down on exit."""
    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}
    to_app, app_inbox = anyio.create_memory_object_stream[Message](2)
    app_outbox, from_app = anyio.create_memory_object_stream[Message](2)
    supported = True
    failure: str | None = None

    async def run() -> None:
        nonlocal supported
        try:
            await app(scope, app_inbox.receive, app_outbox.send)
        except Exception:
            supported = False
            logger.debug("the application has no lifespan", exc_info=True)
        finally:
            app_outbox.close()

    async with app_inbox, anyio.create_task_group() as group, to_app, from_app:
        group.start_soon(run)
        await to_app.send({"type": "lifespan.startup"})
        started = await _next(from_app)
        if started is not None and started["type"] == "lifespan.startup.failed":
            failure = started.get("message") or "the application's startup failed"
            group.cancel_scope.cancel()
        else:
            try:
                yield state
            finally:
                if supported and started is not None:
                    await to_app.send({"type": "lifespan.shutdown"})
                    await _next(from_app)
                group.cancel_scope.cancel()
    # Raised outside the task group, which would wrap it in an ExceptionGroup.
    if failure is not None:
        raise LifespanError(failure)


async def _next(stream: Any) -> Message | None:
    try:
        message: Message = await stream.receive()
    except anyio.EndOfStream:
        return None
    return message
