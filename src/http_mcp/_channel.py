"""What a running tool can say to the client before its result: progress and log messages.

A channel belongs to one request. Its notifications travel on that request's own response
(an SSE stream over HTTP, interleaved lines over STDIO), so nothing outlives the request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

logger = logging.getLogger("http_mcp")

Notify = Callable[[str, dict[str, Any]], Awaitable[None]]
LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
LOG_LEVELS: Final[tuple[LogLevel, ...]] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
_LEVEL_INDEX: Final[dict[str, int]] = {level: index for index, level in enumerate(LOG_LEVELS)}
META_PROGRESS_TOKEN: Final = "progressToken"
META_LOG_LEVEL: Final = "io.modelcontextprotocol/logLevel"


class CancelFlag:
    """Set when a request's client goes away or cancels it; readable from any thread.

    A transport sets it (`RequestContext.cancelled`); a sync tool, which cannot be
    interrupted, reads it through `Arguments.cancelled` and returns early.
    """

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        """Mark the request as cancelled."""
        self._set = True

    def is_set(self) -> bool:
        """Whether the request was cancelled."""
        return self._set


@dataclass(slots=True, eq=False)
class Channel:
    """The notifications one request may carry, and whether its client has gone away."""

    notify: Notify | None = None
    progress_token: str | int | None = None
    log_threshold: int | None = None
    cancelled: CancelFlag = field(default_factory=CancelFlag)
    close_stream: Callable[[], Awaitable[None]] | None = None
    _last_progress: float | None = None

    @classmethod
    def for_request(
        cls,
        params: Mapping[str, Any],
        notify: Notify | None,
        default_level: LogLevel | None,
        cancelled: CancelFlag,
        close_stream: Callable[[], Awaitable[None]] | None = None,
    ) -> Channel:
        meta = params.get("_meta")
        meta = meta if isinstance(meta, dict) else {}
        token = meta.get(META_PROGRESS_TOKEN)
        if token is not None and not (
            isinstance(token, str) or (isinstance(token, int) and not isinstance(token, bool))
        ):
            token = None
        level = meta.get(META_LOG_LEVEL, default_level)
        threshold = _LEVEL_INDEX.get(level) if isinstance(level, str) else None
        return cls(notify, token, threshold, cancelled, close_stream)

    async def progress(self, progress: float, total: float | None, message: str | None) -> None:
        if not all(math.isfinite(n) for n in (progress, 0.0 if total is None else total)):
            raise ValueError(f"progress and total must be finite numbers, got {progress}, {total}")
        if self.notify is None or self.progress_token is None:
            return
        if self._last_progress is not None and progress <= self._last_progress:
            logger.warning(
                "progress must increase: %s after %s was not sent", progress, self._last_progress
            )
            return
        self._last_progress = progress
        params: dict[str, Any] = {"progressToken": self.progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self.notify("notifications/progress", params)

    async def log(self, level: LogLevel, data: Any, logger_name: str | None) -> None:
        if level not in LOG_LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        if self.notify is None or self.log_threshold is None:
            return
        if LOG_LEVELS.index(level) < self.log_threshold:
            return
        params: dict[str, Any] = {"level": level, "data": data}
        if logger_name is not None:
            params["logger"] = logger_name
        await self.notify("notifications/message", params)
