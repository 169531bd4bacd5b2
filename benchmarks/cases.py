"""The benchmarked requests: their bodies, headers and what a correct answer holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from benchmarks.servers import catalog

MODERN: Final = "2026-07-28"
LEGACY: Final = "2025-11-25"
ERAS: Final = (MODERN, LEGACY)
SMALL_CATALOG: Final = catalog.REALISTIC_TOOL_COUNT + 1
LARGE_CATALOG: Final = 1000
CLIENT_INFO: Final = {"name": "bench", "version": "1.0.0"}

_TEXT = "The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs. "
DOCUMENT: Final = {
    "title": "Release notes",
    "content": (_TEXT * (100_000 // len(_TEXT) + 1))[:100_000],
    "project": "OPS",
    "tags": ["release"],
}
DOCUMENT_CHARACTERS: Final = sum(len(v) for v in DOCUMENT.values() if isinstance(v, str))

Check = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    method: str
    era: str
    connections: int
    tools: int
    check: Check
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def tool_name(self) -> str | None:
        name = self.params.get("name")
        return name if isinstance(name, str) else None


def body(method: str, params: dict[str, Any], era: str, request_id: int = 1) -> bytes:
    params = dict(params)
    if era == MODERN:
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
        }
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    return json.dumps(message, separators=(",", ":")).encode()


def headers(case: Case) -> dict[str, str]:
    found = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": case.era,
    }
    if case.era == MODERN:
        found["Mcp-Method"] = case.method
        if case.tool_name is not None:
            found["Mcp-Name"] = case.tool_name
    return found


def request_body(case: Case) -> bytes:
    return body(case.method, case.params, case.era)


def check_answer(case: Case, answer: Any, request_id: int = 1) -> None:
    """Raise `AssertionError` unless `answer` is the correct response to `case`."""
    assert isinstance(answer, dict), f"not a JSON object: {answer!r:.200}"
    assert "error" not in answer, f"error response: {answer['error']!r:.300}"
    assert answer.get("jsonrpc") == "2.0", "jsonrpc is not 2.0"
    assert answer.get("id") == request_id, f"id {answer.get('id')!r} != {request_id}"
    result = answer.get("result")
    assert isinstance(result, dict), "no result object"
    if case.era == MODERN:
        assert result.get("resultType") == "complete", "2026-07-28 result lacks resultType"
    case.check(result)


def _structured(expected: dict[str, Any]) -> Check:
    def check(result: dict[str, Any]) -> None:
        assert not result.get("isError"), f"isError result: {result.get('content')!r:.300}"
        assert result.get("structuredContent") == expected, (
            f"structuredContent {result.get('structuredContent')!r:.200} != {expected!r}"
        )
        text = result["content"][0]["text"]
        assert json.loads(text) == expected, f"text block {text!r:.200} != {expected!r}"

    return check


def _listing(count: int) -> Check:
    names = {"add"} | {spec.name for spec in catalog.tool_specs(count)}

    def check(result: dict[str, Any]) -> None:
        tools = result.get("tools")
        assert isinstance(tools, list), "no tools array"
        assert "nextCursor" not in result, "the list is paged; the case wants one page"
        assert {t["name"] for t in tools} == names, f"{len(tools)} tools, not the {count} expected"
        add = next(t for t in tools if t["name"] == "add")
        assert set(add["inputSchema"]["properties"]) == {"a", "b"}, "add's schema is wrong"

    return check


def all_cases() -> tuple[Case, ...]:
    add_params = {"name": "add", "arguments": {"a": 2, "b": 3}}
    document_params = {"name": catalog.DOCUMENT_TOOL, "arguments": DOCUMENT}
    document_result = {"tool": catalog.DOCUMENT_TOOL, "characters": DOCUMENT_CHARACTERS}
    cases: list[Case] = []
    for era in ERAS:
        for connections in (1, 32):
            cases.append(
                Case(
                    f"call-add-{era}-c{connections}",
                    f"tools/call add, {SMALL_CATALOG} tools, {connections} conn",
                    "tools/call",
                    era,
                    connections,
                    SMALL_CATALOG,
                    _structured({"sum": 5}),
                    add_params,
                )
            )
    for era in ERAS:
        cases.append(
            Case(
                f"call-100kb-{era}-c32",
                "tools/call, 100 KB string argument, 32 conn",
                "tools/call",
                era,
                32,
                SMALL_CATALOG,
                _structured(document_result),
                document_params,
            )
        )
    # One connection for the large list: the slowest servers take seconds per list, so 32
    # queued connections would only measure wrk's timeout.
    for count, connections in ((SMALL_CATALOG, 32), (LARGE_CATALOG, 1)):
        for era in ERAS:
            cases.append(
                Case(
                    f"list-{count}-{era}-c{connections}",
                    f"tools/list, {count} tools, {connections} conn",
                    "tools/list",
                    era,
                    connections,
                    count,
                    _listing(count),
                )
            )
    return tuple(cases)
