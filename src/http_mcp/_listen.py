"""`subscriptions/listen` (2026-07-28): one long-lived stream of the changes a client asked for."""

from __future__ import annotations

from typing import Any

from http_mcp._call import Call, method_not_found
from http_mcp._changes import (
    ACKNOWLEDGED,
    SUBSCRIPTION_ID,
    FeedInterruptedError,
    Following,
    Interest,
    tagged,
)
from http_mcp._context import Notify
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import INTERNAL_ERROR, INVALID_REQUEST, JSONRPCError

_NO_STREAM = (
    "subscriptions/listen is answered with an event stream: "
    "send Accept: application/json, text/event-stream"
)
_UNAVAILABLE = "Change notifications are unavailable: the store cannot be reached; try again later"
_INTERRUPTED = "The change feed was interrupted and changes may have been missed; listen again"


async def listen(call: Call) -> dict[str, Any]:
    """Acknowledge the honoured filter, then forward matching changes until the stream ends."""
    bus = call.registry.bus
    if bus is None:
        raise method_not_found(call.message.method)
    notify = call.context.notify
    if notify is None:
        raise JSONRPCError(INVALID_REQUEST, _NO_STREAM)
    interest = Interest.parse(
        call.params.get("notifications"), call.scopes, call.registry.resources
    )
    try:
        async with bus.follow() as following:
            await notify(ACKNOWLEDGED, tagged({"notifications": interest.honoured()}, call.id))
            await _forward(following, interest, notify, call.id)
    except StoreUnavailableError:
        raise JSONRPCError(INTERNAL_ERROR, _UNAVAILABLE) from None
    except FeedInterruptedError:
        raise JSONRPCError(INTERNAL_ERROR, _INTERRUPTED) from None
    return {"_meta": {SUBSCRIPTION_ID: call.id}}


async def _forward(following: Following, interest: Interest, notify: Notify, sid: Any) -> None:
    while not following.ended:
        change = await following.next()
        if change is not None and interest.wants(change):
            method, params = change.notification()
            await notify(method, tagged(params, sid))
