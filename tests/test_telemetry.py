"""OpenTelemetry: one SERVER span per request and the duration histogram, per the MCP conventions.

The OpenTelemetry SDK's in-memory exporter and metric reader are installed as the global
providers once for this process (the API allows it once); each test reads only its own spans.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp.exceptions import ToolError
from http_mcp.jsonrpc import parse
from http_mcp.testing import AsyncTestClient, MCPError
from http_mcp.transports import RequestContext
from http_mcp.types import Arguments, Prompt, Resource, Tool
from tests.conftest import (
    LEGACY,
    MODERN,
    LiveServer,
    modern_request,
    starlette_app,
    wire_for,
)

pytestmark = pytest.mark.anyio

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
HTTP_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
HTTP_PARENT_ID = "b7ad6b7169203331"


@functools.cache
def sdk() -> tuple[InMemorySpanExporter, InMemoryMetricReader]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return exporter, reader


@pytest.fixture
def spans() -> Iterator[Callable[[], list[ReadableSpan]]]:
    exporter, _ = sdk()
    exporter.clear()
    yield lambda: [
        s
        for s in exporter.get_finished_spans()
        if s.instrumentation_scope and s.instrumentation_scope.name == "http_mcp"
    ]
    exporter.clear()


class Query(BaseModel):
    query: str


def lookup(arguments: Arguments[Query]) -> str:
    inner = trace.get_tracer("tests").start_span("inside the tool")
    inner.end()
    return f"found {arguments.inputs.query}"


def refuse(arguments: Arguments[Query]) -> str:
    raise ToolError("no such thing")


def crash(arguments: Arguments[Query]) -> str:
    raise RuntimeError("the database is down")


def greet() -> str:
    return "hello"


def notes() -> str:
    return "notes"


def make_server(**kwargs: Any) -> MCPServer:
    return MCPServer(
        name="s",
        version="1",
        tools=(Tool(func=lookup), Tool(func=refuse), Tool(func=crash)),
        prompts=(Prompt(func=greet),),
        resources=(Resource(func=notes, uri="file:///notes"),),
        **kwargs,
    )


def by_name(found: list[ReadableSpan], name: str) -> ReadableSpan:
    matching = [s for s in found if s.name == name]
    assert len(matching) == 1, [s.name for s in found]
    return matching[0]


@pytest.mark.parametrize("protocol", [MODERN, LEGACY])
async def test_a_tool_call_is_one_server_span_with_the_conventions_attributes(
    spans: Callable[[], list[ReadableSpan]], protocol: str
) -> None:
    async with AsyncTestClient(make_server(), protocol=protocol) as client:
        await client.call_tool("lookup", {"query": "secret-value"})
    span = by_name(spans(), "tools/call lookup")
    assert span.kind is SpanKind.SERVER
    attributes = dict(span.attributes or {})
    assert attributes.pop("jsonrpc.request.id").isdigit()  # type: ignore[union-attr]
    assert attributes == {
        "mcp.method.name": "tools/call",
        "mcp.protocol.version": protocol,
        "gen_ai.tool.name": "lookup",
        "gen_ai.operation.name": "execute_tool",
    }
    assert span.status.status_code is StatusCode.UNSET
    inner = [s for s in trace_spans() if s.name == "inside the tool"][-1]
    assert inner.parent is not None
    assert inner.parent.span_id == span.context.span_id
    assert "secret-value" not in str(span.to_json())


def trace_spans() -> list[ReadableSpan]:
    return list(sdk()[0].get_finished_spans())


async def test_prompts_resources_and_lists_are_named_by_their_conventions(
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    async with AsyncTestClient(make_server()) as client:
        await client.get_prompt("greet")
        await client.read_resource("file:///notes")
        await client.list_tools()
    found = spans()
    prompt = by_name(found, "prompts/get greet")
    assert prompt.attributes is not None
    assert prompt.attributes["gen_ai.prompt.name"] == "greet"
    assert "gen_ai.operation.name" not in prompt.attributes
    resource = by_name(found, "resources/read")  # the URI is not in the name by default
    assert resource.attributes is not None
    assert resource.attributes["mcp.resource.uri"] == "file:///notes"
    assert by_name(found, "tools/list").attributes is not None


async def test_errors_set_the_status_and_error_type(
    spans: Callable[[], list[ReadableSpan]], caplog: pytest.LogCaptureFixture
) -> None:
    async with AsyncTestClient(make_server()) as client:
        await client.call_tool("refuse", {"query": "q"})
        await client.call_tool("crash", {"query": "q"})
        with pytest.raises(MCPError):
            await client.request("tools/call", {"name": "missing"})
    found = spans()
    for name in ("tools/call refuse", "tools/call crash"):
        span = by_name(found, name)
        assert span.attributes is not None
        assert span.attributes["error.type"] == "tool_error"
        assert "rpc.response.status_code" not in span.attributes
        assert span.status.status_code is StatusCode.ERROR
    missing = by_name(found, "tools/call missing")
    assert missing.attributes is not None
    assert missing.attributes["error.type"] == "-32602"
    assert missing.attributes["rpc.response.status_code"] == "-32602"
    assert missing.status.status_code is StatusCode.ERROR
    assert missing.status.description == "Unknown tool: 'missing'"


async def test_the_parent_comes_from_meta_and_the_http_context_is_linked(
    spans: Callable[[], list[ReadableSpan]], live: Callable[..., LiveServer]
) -> None:
    server = live(starlette_app(make_server()))
    meta_parent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    http_parent = f"00-{HTTP_TRACE_ID}-{HTTP_PARENT_ID}-01"
    params = {"name": "lookup", "arguments": {"query": "q"}}
    async with httpx.AsyncClient() as client:
        for meta, header in ((meta_parent, http_parent), (None, http_parent), (None, None)):
            body, headers = modern_request("tools/call", params)
            if meta is not None:
                body["params"]["_meta"]["traceparent"] = meta
            if header is not None:
                headers["traceparent"] = header
            headers["accept"] = "application/json, text/event-stream"
            response = await client.post(server.url, json=body, headers=headers)
            assert response.json()["result"]["content"][0]["text"] == "found q"
    from_meta, from_header, root = [s for s in spans() if s.name == "tools/call lookup"]
    assert from_meta.context.trace_id == int(TRACE_ID, 16)
    assert from_meta.parent is not None
    assert from_meta.parent.span_id == int(PARENT_ID, 16)
    assert from_meta.parent.is_remote
    assert [link.context.span_id for link in from_meta.links] == [int(HTTP_PARENT_ID, 16)]
    assert from_header.context.trace_id == int(HTTP_TRACE_ID, 16)
    assert from_header.parent is not None
    assert from_header.parent.span_id == int(HTTP_PARENT_ID, 16)
    assert not from_header.links
    assert root.parent is None


async def test_the_duration_histogram_has_the_conventions_name_unit_and_attributes(
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    _, reader = sdk()
    async with AsyncTestClient(make_server()) as client:
        await client.call_tool("refuse", {"query": "q"})
    data = reader.get_metrics_data()
    assert data is not None
    points: list[HistogramDataPoint] = []
    for resource_metrics in data.resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "mcp.server.operation.duration":
                    assert metric.unit == "s"
                    points.extend(metric.data.data_points)  # type: ignore[arg-type]
    refused = [p for p in points if (p.attributes or {}).get("gen_ai.tool.name") == "refuse"]
    assert len(refused) == 1
    point = refused[0]
    assert point.attributes is not None
    assert point.count >= 1
    assert list(point.explicit_bounds)[:3] == [0.01, 0.02, 0.05]
    assert point.attributes["error.type"] == "tool_error"
    assert point.attributes["mcp.method.name"] == "tools/call"
    assert "jsonrpc.request.id" not in point.attributes


async def test_telemetry_false_reports_nothing(spans: Callable[[], list[ReadableSpan]]) -> None:
    async with AsyncTestClient(make_server(telemetry=False)) as client:
        await client.call_tool("lookup", {"query": "q"})
    assert spans() == []


async def test_over_stdio_the_meta_context_is_the_parent(
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    meta = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "tracestate": "rojo=1", "x": 1}
    message = parse(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": "a",
                "method": "tools/call",
                "params": {"name": "lookup", "arguments": {"query": "q"}, "_meta": meta},
            }
        ).encode()
    )
    server = make_server()
    context = RequestContext(scopes=frozenset(), protocol_version=LEGACY)
    reply = await server.handle(message, context)
    assert reply is not None
    assert b"found q" in reply.body
    span = by_name(spans(), "tools/call lookup")
    assert span.parent is not None
    assert span.parent.span_id == int(PARENT_ID, 16)
    assert span.context.trace_state.get("rojo") == "1"
    assert span.attributes is not None
    assert span.attributes["jsonrpc.request.id"] == "a"


async def test_a_malformed_http_traceparent_is_no_link(
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    wire = wire_for(starlette_app(make_server()))
    params = {"name": "lookup", "arguments": {"query": "q"}}
    for meta in (None, f"00-{TRACE_ID}-{PARENT_ID}-01"):
        body, headers = modern_request("tools/call", params)
        if meta is not None:
            body["params"]["_meta"]["traceparent"] = meta
        response = await wire.post(body, {**headers, "traceparent": "00-nonsense"})
        assert response.status_code == 200
    await wire.client.aclose()
    plain, from_meta = [s for s in spans() if s.name == "tools/call lookup"]
    assert plain.parent is None
    assert from_meta.parent is not None
    assert not from_meta.links


async def test_a_cancelled_request_ends_its_span_as_cancelled(
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    started = anyio.Event()

    async def wait_forever(arguments: Arguments[Query]) -> str:
        started.set()
        await anyio.sleep_forever()
        return "never"  # pragma: no cover

    server = MCPServer(name="s", version="1", tools=(Tool(func=wait_forever),))
    message = parse(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "wait_forever", "arguments": {"query": "q"}},
            }
        ).encode()
    )
    context = RequestContext(protocol_version=LEGACY)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(server.handle, message, context)
            await started.wait()
            group.cancel_scope.cancel()
    span = by_name(spans(), "tools/call wait_forever")
    assert span.attributes is not None
    assert span.attributes["error.type"] == "cancelled"
    assert span.status.status_code is StatusCode.ERROR
