"""`jsonrpc.parse`: every shape a body can take, and the error code each wrong one gets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_core import from_json, to_json

from http_mcp._jsonrpc import raw_result_bytes, result_bytes
from http_mcp.jsonrpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    JSONRPCError,
    Notification,
    Request,
    Response,
    error_bytes,
    parse,
)


def _error_of(body: bytes | str) -> JSONRPCError:
    with pytest.raises(JSONRPCError) as caught:
        parse(body)
    return caught.value


NOT_JSON = [
    pytest.param(b"", id="empty"),
    pytest.param(b"   \n", id="whitespace"),
    pytest.param(b"{", id="truncated"),
    pytest.param(b"not json", id="words"),
    pytest.param(b"{'jsonrpc': '2.0'}", id="single-quotes"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"ping"} trailing', id="trailing-garbage"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"ping"}{}', id="two-objects"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":NaN}}', id="nan"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":Infinity}}', id="inf"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":-Infinity}}', id="-inf"),
    pytest.param(b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}', id="nan-id"),
    pytest.param(b"\xff\xfe\x00", id="invalid-utf8"),
    pytest.param(b'{"jsonrpc":"2.0","id":"\xc3\x28","method":"ping"}', id="invalid-utf8-in-string"),
    pytest.param(b'{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}', id="escaped-lone-surrogate"),
    pytest.param('{"jsonrpc":"2.0","id":"\ud800","method":"ping"}', id="str-lone-surrogate"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deeply-nested"),
]


@pytest.mark.parametrize("body", NOT_JSON)
def test_body_that_is_not_json_is_a_parse_error_with_null_id(body: bytes | str) -> None:
    error = _error_of(body)
    assert error.code == PARSE_ERROR
    assert error.request_id is None


INVALID_REQUESTS: list[Any] = [
    pytest.param([], None, id="empty-array"),
    pytest.param([{"jsonrpc": "2.0", "id": 1, "method": "ping"}], None, id="batch"),
    pytest.param("ping", None, id="string"),
    pytest.param(42, None, id="number"),
    pytest.param(None, None, id="null"),
    pytest.param(True, None, id="bool"),
    pytest.param({"id": 7, "method": "ping"}, 7, id="jsonrpc-missing"),
    pytest.param({"jsonrpc": "1.0", "id": "a", "method": "ping"}, "a", id="jsonrpc-1.0"),
    pytest.param({"jsonrpc": 2.0, "id": 3, "method": "ping"}, 3, id="jsonrpc-number"),
    pytest.param({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}, None, id="id-float"),
    pytest.param({"jsonrpc": "2.0", "id": 1.0, "method": "ping"}, None, id="id-integral-float"),
    pytest.param({"jsonrpc": "2.0", "id": True, "method": "ping"}, None, id="id-bool"),
    pytest.param({"jsonrpc": "2.0", "id": None, "method": "ping"}, None, id="id-null"),
    pytest.param({"jsonrpc": "2.0", "id": {"n": 1}, "method": "ping"}, None, id="id-object"),
    pytest.param({"jsonrpc": "2.0", "id": [1], "method": "ping"}, None, id="id-array"),
    pytest.param({"jsonrpc": "1.0", "id": 1.5, "method": "ping"}, None, id="both-wrong"),
    pytest.param({"jsonrpc": "2.0", "id": 9}, 9, id="method-missing"),
    pytest.param({"jsonrpc": "2.0", "id": 9, "method": 5}, 9, id="method-number"),
    pytest.param({"jsonrpc": "2.0", "id": "m", "method": None}, "m", id="method-null"),
    pytest.param({"jsonrpc": "2.0", "method": ["ping"]}, None, id="notification-method-array"),
    pytest.param({"jsonrpc": "2.0", "result": {}}, None, id="result-without-id"),
    pytest.param({"jsonrpc": "2.0", "id": True, "result": {}}, None, id="result-bool-id"),
    pytest.param({"jsonrpc": "2.0", "id": None, "result": {}}, None, id="result-null-id"),
]


@pytest.mark.parametrize(("data", "echoed_id"), INVALID_REQUESTS)
def test_invalid_request_object_is_invalid_request_echoing_a_readable_id(
    data: Any, echoed_id: str | int | None
) -> None:
    error = _error_of(to_json(data))
    assert error.code == INVALID_REQUEST
    assert error.request_id == echoed_id


@pytest.mark.parametrize(
    ("params", "echoed_id"),
    [
        pytest.param([1, 2], 1, id="array"),
        pytest.param("x", 1, id="string"),
        pytest.param(5, 1, id="number"),
        pytest.param(None, 1, id="null"),
        pytest.param([], None, id="array-in-notification"),
    ],
)
def test_params_that_are_not_an_object_are_invalid_params(
    params: Any, echoed_id: int | None
) -> None:
    data: dict[str, Any] = {"jsonrpc": "2.0", "method": "tools/list", "params": params}
    if echoed_id is not None:
        data["id"] = echoed_id
    error = _error_of(to_json(data))
    assert error.code == INVALID_PARAMS
    assert error.request_id == echoed_id


@pytest.mark.parametrize(
    "request_id",
    [0, -1, 7, 2**70, "", "abc", "héllo"],
    ids=["zero", "negative", "int", "bigint", "empty-str", "str", "non-ascii"],
)
def test_request_keeps_a_string_or_integer_id_as_it_came(request_id: str | int) -> None:
    message = parse(to_json({"jsonrpc": "2.0", "id": request_id, "method": "ping"}))
    assert message == Request(id=request_id, method="ping", params={})
    assert type(message.id) is type(request_id)


def test_request_without_params_gets_empty_params() -> None:
    message = parse(b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
    assert message == Request(id=1, method="tools/list", params={})


def test_request_carries_its_params_object() -> None:
    message = parse(b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}')
    assert message == Request(id=1, method="tools/call", params={"name": "x"})


def test_unknown_members_of_the_envelope_are_ignored() -> None:
    message = parse(b'{"jsonrpc":"2.0","id":1,"method":"ping","extra":true}')
    assert message == Request(id=1, method="ping", params={})


def test_str_body_is_parsed_like_bytes() -> None:
    assert parse('{"jsonrpc":"2.0","id":"é","method":"ping"}') == Request("é", "ping", {})


def test_message_without_id_is_a_notification() -> None:
    message = parse(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
    assert message == Notification(method="notifications/initialized", params={})


def test_notification_carries_its_params() -> None:
    message = parse(b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"a":1}}')
    assert message == Notification(method="notifications/cancelled", params={"a": 1})


@pytest.mark.parametrize(
    ("data", "response_id"),
    [
        pytest.param({"jsonrpc": "2.0", "id": 4, "result": {}}, 4, id="result"),
        pytest.param({"jsonrpc": "2.0", "id": "s", "result": None}, "s", id="null-result"),
        pytest.param(
            {"jsonrpc": "2.0", "id": 5, "error": {"code": -1, "message": "no"}}, 5, id="error"
        ),
        pytest.param(
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "bad"}},
            None,
            id="error-with-null-id",
        ),
    ],
)
def test_posted_response_is_recognised_as_a_response(
    data: dict[str, Any], response_id: str | int | None
) -> None:
    assert parse(to_json(data)) == Response(
        id=response_id, result=data.get("result"), error=data.get("error")
    )


def test_error_response_bytes_carry_code_message_and_id() -> None:
    body = from_json(error_bytes("x", INVALID_PARAMS, "Invalid params"))
    assert body == {
        "jsonrpc": "2.0",
        "id": "x",
        "error": {"code": INVALID_PARAMS, "message": "Invalid params"},
    }


def test_error_response_bytes_carry_data_when_given() -> None:
    error = JSONRPCError(-32022, "Unsupported", {"requested": "v9"}, request_id=3)
    body = from_json(error.to_bytes())
    assert body["id"] == 3
    assert body["error"] == {"code": -32022, "message": "Unsupported", "data": {"requested": "v9"}}


def test_error_without_request_id_is_answered_with_null_id() -> None:
    body = from_json(JSONRPCError(PARSE_ERROR, "Parse error").to_bytes())
    assert body["id"] is None
    assert body["error"]["code"] == PARSE_ERROR


def test_result_bytes_and_raw_result_bytes_agree() -> None:
    result = {"tools": [{"name": "é"}]}
    assert from_json(result_bytes(2**70, result)) == from_json(
        raw_result_bytes(2**70, to_json(result))
    )
    assert from_json(result_bytes("a", result)) == {"jsonrpc": "2.0", "id": "a", "result": result}
