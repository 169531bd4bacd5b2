"""Reading raw server-sent events, and a gate a test opens for a tool running in a server thread.

```python
events = parse_events(response.text)          # [{"id": ..., "retry": ..., "data": ...}, ...]
async with read_events(client, "POST", url, json=body, headers=headers) as stream:
    first = await stream.next()
```
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
import anyio.to_thread
import httpx

WAIT_S: Final = 10.0
SSE_ACCEPT: Final = {"accept": "text/event-stream"}


def parse_events(text: str) -> list[dict[str, str]]:
    """The events of an event-stream body, comments left out."""
    events: list[dict[str, str]] = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if fields:
            events.append(fields)
    return events


class EventReader:
    """The events of one streamed response, read as they come."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self) -> dict[str, str] | None:
        """The next event (comments skipped); `None` when the stream ended."""
        fields: dict[str, str] = {}
        with anyio.fail_after(WAIT_S):
            async for line in self._lines:
                if not line:
                    if fields:
                        return fields
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
        return fields or None

    async def rest(self) -> list[dict[str, str]]:
        """Every event until the stream ends."""
        events = []
        while (found := await self.next()) is not None:
            events.append(found)
        return events


@asynccontextmanager
async def read_events(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> AsyncIterator[EventReader]:
    async with client.stream(method, url, **kwargs) as response:
        yield EventReader(response)


class Gate:
    """Opened by a test, awaited by a tool running in the server's own thread and loop."""

    def __init__(self) -> None:
        self._open = threading.Event()

    def open(self) -> None:
        self._open.set()

    async def wait(self) -> None:
        # Bounded: a tool cancelled while it waits abandons this thread, which must still end,
        # or the test process cannot exit (a worker thread of anyio is not a daemon).
        if not await anyio.to_thread.run_sync(self._open.wait, WAIT_S, abandon_on_cancel=True):
            raise TimeoutError(f"the test did not open the gate within {WAIT_S:g} s")


async def wait_for(flag: threading.Event) -> None:
    """Wait, bounded, for a flag set in the server's thread."""
    with anyio.fail_after(WAIT_S):
        assert await anyio.to_thread.run_sync(flag.wait, WAIT_S, abandon_on_cancel=True)


def resume_headers(last_event_id: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**SSE_ACCEPT, "last-event-id": last_event_id, **(extra or {})}
