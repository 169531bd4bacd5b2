"""Paged lists: walked by opaque cursors, in declaration order, the same on every replica."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from http_mcp import MCPServer
from http_mcp.types import Prompt, Tool
from tests.conftest import Wire
from tests.conftest import send as send_at

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
KINDS = pytest.mark.parametrize("kind", ["tools", "prompts"])
NAMES = ["zeta", "alpha", "mu", "beta", "omega"]


def answer() -> str:
    return "ok"


def catalog(page_size: int | None, scoped: frozenset[str] = frozenset()) -> MCPServer:
    scopes = {name: ("mcp:read",) if name in scoped else () for name in NAMES}
    return MCPServer(
        name="s",
        version="1",
        tools=tuple(Tool(func=answer, name=n, scopes=scopes[n]) for n in NAMES),
        prompts=tuple(Prompt(func=answer, name=n, scopes=scopes[n]) for n in NAMES),
        page_size=page_size,
    )


async def send(
    wire: Wire, era: str, kind: str, params: dict[str, Any], **headers: str
) -> httpx.Response:
    return await send_at(wire, era, f"{kind}/list", params, **headers)


async def walk(wire: Wire, era: str, kind: str, **headers: str) -> list[list[str]]:
    """Every page's names, following `nextCursor` until there is none."""
    pages: list[list[str]] = []
    params: dict[str, Any] = {}
    for _ in range(len(NAMES) + 1):
        response = await send(wire, era, kind, params, **headers)
        assert response.status_code == 200, response.text
        result = response.json()["result"]
        pages.append([item["name"] for item in result[kind]])
        if "nextCursor" not in result:
            return pages
        assert isinstance(result["nextCursor"], str)
        params = {"cursor": result["nextCursor"]}
    raise AssertionError(f"the cursors never ended: {pages}")


@ERAS
@KINDS
async def test_walking_the_cursors_gives_every_item_once_in_declaration_order(
    wire_of: WireOf, era: str, kind: str
) -> None:
    pages = await walk(wire_of(catalog(page_size=2)), era, kind)
    assert pages == [["zeta", "alpha"], ["mu", "beta"], ["omega"]]


@ERAS
@KINDS
async def test_a_page_size_that_divides_the_list_ends_without_an_empty_page(
    wire_of: WireOf, era: str, kind: str
) -> None:
    server = MCPServer(
        name="s",
        version="1",
        tools=tuple(Tool(func=answer, name=n) for n in NAMES[:4]),
        prompts=tuple(Prompt(func=answer, name=n) for n in NAMES[:4]),
        page_size=2,
    )
    assert await walk(wire_of(server), era, kind) == [["zeta", "alpha"], ["mu", "beta"]]


@ERAS
@KINDS
async def test_a_cursor_means_the_same_page_on_another_replica(
    wire_of: WireOf, era: str, kind: str
) -> None:
    first = await send(wire_of(catalog(page_size=2)), era, kind, {})
    cursor = first.json()["result"]["nextCursor"]
    replica = wire_of(catalog(page_size=2))
    second = await send(replica, era, kind, {"cursor": cursor})
    assert [item["name"] for item in second.json()["result"][kind]] == ["mu", "beta"]


@ERAS
@KINDS
@pytest.mark.parametrize("page_size", [None, 5, 100])
async def test_a_page_that_holds_everything_has_no_next_cursor(
    wire_of: WireOf, era: str, kind: str, page_size: int | None
) -> None:
    pages = await walk(wire_of(catalog(page_size=page_size)), era, kind)
    assert pages == [NAMES]


@ERAS
async def test_an_empty_list_is_one_empty_page(wire_of: WireOf, era: str) -> None:
    server = MCPServer(name="s", version="1", page_size=2)
    assert await walk(wire_of(server), era, "tools") == [[]]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@ERAS
@KINDS
@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not a cursor!", id="garbage"),
        pytest.param(b64(b"\xff\xfe\x00junk"), id="base64-of-binary-junk"),
        pytest.param(b64(b"hello world"), id="base64-of-text-junk"),
        pytest.param(b64(b"o1:"), id="no-offset"),
        pytest.param(b64(b"o1:-2"), id="negative-offset"),
        pytest.param(b64(b"o1:0"), id="offset-zero"),
        pytest.param(b64(b"o1:5"), id="offset-at-the-end"),
        pytest.param(b64(b"o1:99"), id="offset-out-of-range"),
        pytest.param(b64(b"o1:" + b"9" * 40), id="huge-offset"),
        pytest.param(b64(b"o2:2"), id="unknown-version"),
        pytest.param("a" * 1000, id="very-long"),
        pytest.param("", id="empty-string"),
        pytest.param(2, id="integer"),
        pytest.param(True, id="boolean"),
        pytest.param({"offset": 2}, id="object"),
        pytest.param(["o1:2"], id="array"),
    ],
)
async def test_an_invalid_cursor_is_invalid_params(
    wire_of: WireOf, era: str, kind: str, cursor: Any
) -> None:
    response = await send(wire_of(catalog(page_size=2)), era, kind, {"cursor": cursor})
    assert response.status_code == (400 if era == "modern" else 200)
    body = response.json()
    assert "result" not in body
    assert body["error"]["code"] == -32602
    assert body["id"] == 1


@ERAS
async def test_a_null_cursor_is_the_first_page(wire_of: WireOf, era: str) -> None:
    response = await send(wire_of(catalog(page_size=2)), era, "tools", {"cursor": None})
    assert [tool["name"] for tool in response.json()["result"]["tools"]] == ["zeta", "alpha"]


@ERAS
@KINDS
async def test_pages_hold_only_what_the_caller_may_see(
    wire_of: WireOf, era: str, kind: str
) -> None:
    server = catalog(page_size=2, scoped=frozenset({"alpha", "beta"}))
    wire = wire_of(server)
    assert await walk(wire, era, kind) == [["zeta", "mu"], ["omega"]]
    assert await walk(wire, era, kind, x_scopes="mcp:read") == [
        ["zeta", "alpha"],
        ["mu", "beta"],
        ["omega"],
    ]


@ERAS
@KINDS
async def test_a_cursor_beyond_the_callers_own_list_is_invalid_params(
    wire_of: WireOf, era: str, kind: str
) -> None:
    server = catalog(page_size=2, scoped=frozenset({"alpha", "beta"}))
    wire = wire_of(server)
    first = await send(wire, era, kind, {}, x_scopes="mcp:read")
    first_cursor = first.json()["result"]["nextCursor"]
    second = await send(wire, era, kind, {"cursor": first_cursor}, x_scopes="mcp:read")
    third_cursor = second.json()["result"]["nextCursor"]
    assert [item["name"] for item in second.json()["result"][kind]] == ["mu", "beta"]
    # The scoped caller's last cursor points past what an unscoped caller can see.
    response = await send(wire, era, kind, {"cursor": third_cursor})
    assert response.json()["error"]["code"] == -32602
