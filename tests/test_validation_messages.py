"""The messages a model reads when its arguments are wrong. Their wording is the feature."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Literal

import httpx
import pytest
from pydantic import (
    UUID4,
    BaseModel,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)

from http_mcp import MCPServer
from http_mcp.types import Arguments, Tool
from tests.conftest import Wire
from tests.conftest import send as send_at

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
A_UUID4 = "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b"
A_UUID1 = "e6d37b94-e8ef-11f1-9e31-02fc00000001"


class Item(BaseModel):
    n: int


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vulnerability_id: UUID4 = uuid.UUID(A_UUID4)
    x: int = 0
    items: list[Item] = []
    choice: int | Literal["auto"] = "auto"
    number_or_text: int | str = 0
    mode: Literal["fast", "safe"] = "safe"
    package: str = Field(default="requests", alias="packageName")
    even: int = 0

    @field_validator("even")
    @classmethod
    def _check_even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be an even number")
        return value


class Required(BaseModel):
    x: int
    name: str


class Cat(BaseModel):
    n: int
    meows: bool = True


class Dog(BaseModel):
    n: int
    barks: bool = True


class Shapes(BaseModel):
    pet: Cat | Dog | None = None
    limits: dict[str, int] = {}
    positive: int = 1
    low: int = 0
    high: int = 0

    @field_validator("positive")
    @classmethod
    def _check_positive(cls, value: int) -> int:
        if value < 1:
            raise AssertionError("must be at least 1")
        return value

    @model_validator(mode="after")
    def _check_order(self) -> Shapes:
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


def shapes(arguments: Arguments[Shapes]) -> str:
    return "ok"


def order(arguments: Arguments[Order]) -> str:
    return "ok"


def required(arguments: Arguments[Required]) -> str:
    return "ok"


Wide = create_model("Wide", **{f"f{i}": (int, ...) for i in range(25)})  # type: ignore[call-overload]


def wide(arguments: Arguments[Any]) -> str:
    return "ok"


SERVER = MCPServer(
    name="s",
    version="1",
    tools=(
        Tool(func=order, inputs=Order),
        Tool(func=required, inputs=Required),
        Tool(func=wide, inputs=Wide),
        Tool(func=shapes, inputs=Shapes),
    ),
)


async def send(wire: Wire, era: str, params: dict[str, Any]) -> httpx.Response:
    return await send_at(wire, era, "tools/call", params)


async def message_for(wire: Wire, era: str, tool: str, arguments: dict[str, Any]) -> str:
    response = await send(wire, era, {"name": tool, "arguments": arguments})
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["isError"] is True
    [block] = result["content"]
    text: str = block["text"]
    return text


@ERAS
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param(
            {"vulnerability_id": "abc123"},
            "vulnerability_id: must be a valid UUID4, got 'abc123'",
            id="not-a-uuid",
        ),
        pytest.param(
            {"vulnerability_id": A_UUID1},
            f"vulnerability_id: must be a valid UUID4, got '{A_UUID1}'",
            id="uuid-of-another-version",
        ),
        pytest.param({"x": "ten"}, "x: must be a valid integer, got 'ten'", id="not-an-integer"),
        pytest.param(
            {"x": "zwölf"}, "x: must be a valid integer, got 'zwölf'", id="non-ascii-kept"
        ),
        pytest.param(
            {"items": [{"n": "a"}]},
            "items[0].n: must be a valid integer, got 'a'",
            id="nested-path",
        ),
        pytest.param({"items": [{}]}, "items[0].n: is required", id="nested-missing"),
        pytest.param(
            {"items": [5]}, "items[0]: must be an object, got 5", id="nested-not-an-object"
        ),
        pytest.param({"items": "many"}, "items: must be a valid list, got 'many'", id="not-a-list"),
        pytest.param(
            {"bogus": 1}, "bogus: is not an accepted field, got 1", id="extra-field-forbidden"
        ),
        pytest.param(
            {"choice": "manual"},
            "choice: must be a valid integer or 'auto', got 'manual'",
            id="union-with-a-literal",
        ),
        pytest.param(
            {"number_or_text": [1]},
            "number_or_text: must be a valid integer or a valid string, got [1]",
            id="union-of-two-types",
        ),
        pytest.param({"mode": "slow"}, "mode: must be 'fast' or 'safe', got 'slow'", id="literal"),
        pytest.param(
            {"packageName": 3},
            "packageName: must be a valid string, got 3",
            id="aliased-field-by-its-alias",
        ),
        pytest.param(
            {"even": 3}, "even: must be an even number, got 3", id="custom-validator-message"
        ),
    ],
)
async def test_an_invalid_argument_is_described_by_path_expectation_and_value(
    wire_of: WireOf, era: str, arguments: dict[str, Any], expected: str
) -> None:
    assert await message_for(wire_of(SERVER), era, "order", arguments) == expected


@ERAS
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param(
            {"pet": {"meows": False}}, "pet.n: is required", id="same-problem-in-every-member"
        ),
        pytest.param(
            {"pet": {"n": "x"}}, "pet.n: must be a valid integer, got 'x'", id="union-member-field"
        ),
        pytest.param({"pet": 5}, "pet: must be an object, got 5", id="union-not-an-object"),
        pytest.param(
            {"limits": {"cpu": "lots"}},
            "limits.cpu: must be a valid integer, got 'lots'",
            id="mapping-value",
        ),
        pytest.param(
            {"positive": 0}, "positive: must be at least 1, got 0", id="assertion-message"
        ),
        pytest.param(
            {"low": 3, "high": 1},
            'arguments: low must not exceed high, got {"low":3,"high":1}',
            id="model-level-problem",
        ),
    ],
)
async def test_problems_inside_unions_mappings_and_validators_read_the_same_way(
    wire_of: WireOf, era: str, arguments: dict[str, Any], expected: str
) -> None:
    assert await message_for(wire_of(SERVER), era, "shapes", arguments) == expected


@ERAS
async def test_a_missing_field_is_reported_as_required_without_a_value(
    wire_of: WireOf, era: str
) -> None:
    text = await message_for(wire_of(SERVER), era, "required", {"name": "n"})
    assert text == "x: is required"


@ERAS
async def test_several_problems_are_reported_one_per_line(wire_of: WireOf, era: str) -> None:
    arguments = {"vulnerability_id": "abc123", "items": [{"n": "a"}, {}], "bogus": True}
    text = await message_for(wire_of(SERVER), era, "order", arguments)
    assert text.split("\n") == [
        "vulnerability_id: must be a valid UUID4, got 'abc123'",
        "items[0].n: must be a valid integer, got 'a'",
        "items[1].n: is required",
        "bogus: is not an accepted field, got true",
    ]


@ERAS
async def test_a_flood_of_problems_is_cut_to_twenty_lines_and_a_count(
    wire_of: WireOf, era: str
) -> None:
    text = await message_for(wire_of(SERVER), era, "wide", {})
    lines = text.split("\n")
    assert lines[:20] == [f"f{i}: is required" for i in range(20)]
    assert lines[20:] == ["... and 5 more problems"]


@ERAS
async def test_a_long_string_value_is_not_echoed_back_at_length(wire_of: WireOf, era: str) -> None:
    text = await message_for(wire_of(SERVER), era, "order", {"x": "y" * 10_000})
    assert text.startswith("x: must be a valid integer, got 'yyyy")
    assert "y" * 41 not in text
    assert len(text) < 100


@ERAS
async def test_a_long_list_value_is_summarised_not_echoed(wire_of: WireOf, era: str) -> None:
    text = await message_for(wire_of(SERVER), era, "order", {"x": list(range(5_000))})
    assert text.startswith("x: must be a valid integer, got a list (")
    assert "4999" not in text
    assert len(text) < 100


@ERAS
async def test_a_long_unknown_field_name_is_not_echoed_back_at_length(
    wire_of: WireOf, era: str
) -> None:
    text = await message_for(wire_of(SERVER), era, "order", {"k" * 10_000: 1})
    assert text.endswith(": is not an accepted field, got 1")
    assert "k" * 41 not in text
    assert len(text) < 100


@ERAS
@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"x": "1\nx: is required"}, id="newline-in-a-value"),
        pytest.param({"x": "1\r\nx: is required"}, id="crlf-in-a-value"),
        pytest.param({"bogus\nx: is required": 1}, id="newline-in-a-field-name"),
    ],
)
async def test_a_value_cannot_forge_an_extra_line_of_the_message(
    wire_of: WireOf, era: str, arguments: dict[str, Any]
) -> None:
    text = await message_for(wire_of(SERVER), era, "order", arguments)
    assert "\n" not in text
    assert "\r" not in text
    assert "x: is required" in text


@ERAS
@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param([1, 2], id="list"),
        pytest.param("x=1", id="string"),
        pytest.param(7, id="number"),
        pytest.param(True, id="boolean"),
    ],
)
async def test_arguments_that_are_not_an_object_are_invalid_params(
    wire_of: WireOf, era: str, arguments: Any
) -> None:
    response = await send(wire_of(SERVER), era, {"name": "order", "arguments": arguments})
    assert response.status_code == (400 if era == "modern" else 200)
    body = response.json()
    assert "result" not in body
    assert body["error"]["code"] == -32602
    assert body["id"] == 1
