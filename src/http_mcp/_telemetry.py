"""OpenTelemetry spans and the duration histogram, per the semantic conventions for MCP.

Imported only when `opentelemetry-api` is installed. It reports to the global tracer and meter
providers: without an SDK configured they are no-ops, and the span is not recording, so no
attribute is built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from time import monotonic, perf_counter
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

import http_mcp
from http_mcp._call import Call
from http_mcp._observe import Outcome
from http_mcp.jsonrpc import JSONRPCError

DURATION_BUCKETS: Final = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]
"""The conventions' advice for `mcp.server.operation.duration`, in seconds."""
TARGET_ATTRIBUTES: Final = {"tools/call": "gen_ai.tool.name", "prompts/get": "gen_ai.prompt.name"}
URI_METHODS: Final = frozenset({"resources/read", "resources/subscribe", "resources/unsubscribe"})
TRACE_KEYS: Final = ("traceparent", "tracestate", "baggage")
RECHECK_SECONDS: Final = 1.0


OFF_TRACING: Final = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
# The API exports no name for its placeholder meter provider (the one before an SDK is set).
OFF_METRICS: Final = (_ProxyMeterProvider, metrics.NoOpMeterProvider)


class Telemetry:
    """One SERVER span per request and the `mcp.server.operation.duration` histogram.

    Until an SDK sets a global tracer or meter provider, requests skip all of it (the API's
    no-op span and histogram would cost about a tenth of a request); whether one has been set
    is looked at no more than once a second, and once set it stays set.
    """

    def __init__(self) -> None:
        self._live = False
        self._next_check = 0.0
        version = http_mcp.__version__
        self._tracer = trace.get_tracer("http_mcp", version)
        meter = metrics.get_meter("http_mcp", version)
        self._duration = meter.create_histogram(
            "mcp.server.operation.duration",
            unit="s",
            description="MCP request duration as observed on the server, until its response.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    async def observe(self, call: Call, run: Callable[[Call], Awaitable[Outcome]]) -> Outcome:
        """`run(call)` inside its span, then the span's outcome and the duration recorded.

        The span covers the whole of `run`: for a method that streams until the client leaves,
        the whole stream. A request that is cancelled ends its span with `error.type`
        `cancelled`.
        """
        method = call.message.method
        target = call.target
        named = TARGET_ATTRIBUTES.get(method)
        name = f"{method} {target}" if named is not None and isinstance(target, str) else method
        parent, links = _parent(call)
        span = self._tracer.start_span(name, parent, SpanKind.SERVER, links=links)
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        started = perf_counter()
        outcome: Outcome | None = None
        try:
            outcome = await run(call)
            return outcome
        finally:
            otel_context.detach(token)
            attributes = _attributes(call, method, named, target)
            error = _error(call, outcome, attributes)
            if span.is_recording():
                span.set_attributes(attributes)
                if call.message.id is not None:
                    span.set_attribute("jsonrpc.request.id", str(call.message.id))
                if method in URI_METHODS and isinstance(target, str):
                    span.set_attribute("mcp.resource.uri", target)
                if error is not None:
                    span.set_status(Status(StatusCode.ERROR, error))
            span.end()
            self._duration.record(perf_counter() - started, attributes)

    def active(self) -> bool:
        """Whether an SDK is configured, so that requests are reported."""
        if self._live:
            return True
        now = monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + RECHECK_SECONDS
        self._live = not self._off()  # a global provider, once set, stays set
        return self._live

    @staticmethod
    def _off() -> bool:
        """Whether no SDK is configured: both global providers are the API's placeholders."""
        return isinstance(trace.get_tracer_provider(), OFF_TRACING) and isinstance(
            metrics.get_meter_provider(), OFF_METRICS
        )


def _parent(call: Call) -> tuple[Any, list[Link] | None]:
    """The remote parent: from `params._meta` when it has one (the HTTP one linked), else HTTP."""
    meta = call.message.params.get("_meta")
    request = call.context.request
    headers: Mapping[str, str] | None = None
    if request is not None and "traceparent" in request.headers:
        headers = request.headers
    if isinstance(meta, dict) and isinstance(meta.get("traceparent"), str):
        carrier = {key: meta[key] for key in TRACE_KEYS if isinstance(meta.get(key), str)}
        parent = propagate.extract(carrier)
        if headers is None:
            return parent, None
        ambient = trace.get_current_span(propagate.extract(headers)).get_span_context()
        return parent, [Link(ambient)] if ambient.is_valid else None
    if headers is not None:
        return propagate.extract(headers), None
    return None, None


def _attributes(
    call: Call, method: str, named: str | None, target: Any
) -> dict[str, str | int | float | bool]:
    attributes: dict[str, str | int | float | bool] = {
        "mcp.method.name": method,
        "mcp.protocol.version": call.version,
    }
    if named is not None and isinstance(target, str):
        attributes[named] = target
        if method == "tools/call":
            attributes["gen_ai.operation.name"] = "execute_tool"
    return attributes


def _error(
    call: Call, outcome: Outcome | None, attributes: dict[str, str | int | float | bool]
) -> str | None:
    """Set `error.type` (and the status code of an error answer); the status description."""
    if outcome is None:
        attributes["error.type"] = "cancelled"
        return "cancelled"
    if isinstance(outcome, JSONRPCError):
        code = str(outcome.code)
        attributes["rpc.response.status_code"] = code
        attributes["error.type"] = code
        return outcome.message
    if isinstance(outcome, dict) and outcome.get("isError") is True:
        attributes["error.type"] = "tool_error"
        return "tool_error"
    return None
