"""A request's outcome, and its log line.

Every failed request (answered with a JSON-RPC error) is logged at WARNING on the
`http_mcp.requests` logger; with that logger at INFO, every request is. One line each, as
`key=value` pairs that log shippers parse, with the same fields as record attributes
(`mcp_method`, `mcp_target`, `mcp_outcome`, `mcp_code`, `duration_s`) for structured
formatters. A line never carries an argument value, a header or a token: the method, the target
(tool or prompt name, resource URI), the request id, the outcome, the error code, the duration.
"""

from __future__ import annotations

import json
import logging
import re
from time import perf_counter
from typing import Any, Final

from http_mcp._call import Call, Handler, Method, Result, method_not_found
from http_mcp.jsonrpc import INTERNAL_ERROR, JSONRPCError, Request

Outcome = Result | JSONRPCError
"""A request's outcome: its result, or the protocol error it is answered with."""

logger = logging.getLogger("http_mcp")
requests_logger = logging.getLogger("http_mcp.requests")
BARE: Final = re.compile(r"[\w./:@+-]{1,100}")
LONGEST: Final = 100


async def answer(call: Call, handler: Handler | None) -> Outcome:
    """The result of `handler` (by default the method's own), or the error it is answered with."""
    try:
        if call.version not in call.method.revisions:
            raise method_not_found(call.message.method)
        if handler is None:
            return await call.method.handler(call)
        return await handler(call)
    except JSONRPCError as exc:
        return exc
    except Exception:
        logger.exception("internal error answering %r", call.message.method)
        return JSONRPCError(INTERNAL_ERROR, "Internal error")


def log_request(message: Request, method: Method, outcome: Outcome, started: float) -> None:
    """Log the request's line: at WARNING when it failed, at INFO when that level is on."""
    failed = isinstance(outcome, JSONRPCError)
    level = logging.WARNING if failed else logging.INFO
    if not requests_logger.isEnabledFor(level):
        return
    duration = perf_counter() - started
    target = None if method.target is None else message.params.get(method.target)
    if isinstance(outcome, JSONRPCError):
        status, code = "error", outcome.code
    elif isinstance(outcome, dict) and outcome.get("isError") is True:
        status, code = "tool_error", None
    else:
        status, code = "ok", None
    fields: dict[str, Any] = {
        "mcp_method": message.method,
        "mcp_target": target if isinstance(target, str) else None,
        "mcp_request_id": message.id,
        "mcp_outcome": status,
        "mcp_code": code,
        "duration_s": duration,
    }
    line = f"method={_value(message.method)}"
    if isinstance(target, str):
        line += f" target={_value(target)}"
    line += f" id={_value(message.id)} outcome={status}"
    if code is not None:
        line += f" code={code}"
    requests_logger.log(level, "%s duration_ms=%.3f", line, duration * 1000, extra=fields)


def _value(value: object) -> str:
    """A client-given value as one log token: bare when plain, else quoted JSON, cut short."""
    text = value if isinstance(value, str) else json.dumps(value)
    if BARE.fullmatch(text):
        return text
    if len(text) > LONGEST:
        text = text[:LONGEST] + "..."
    return json.dumps(text, ensure_ascii=True)
