"""The back channel over HTTP: the server's requests out, the client's answers routed home.

At the handshake revisions a tool's request to the client goes out on the call's event stream
with an unguessable id (`srv-...`). The client POSTs its answer as a request of its own, which
may reach any replica. The waiting replica keeps a record `{owner, deadline}` in the store
under that id and listens on a channel of the same name; the replica that receives the answer
checks the record (it exists, the same caller posts it), deletes it so that no second answer is
taken, and publishes the answer to the waiting one. Nothing is kept in the process, and a call
that does not ask touches the store not at all.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Final

import anyio
from pydantic_core import from_json, to_json

from http_mcp._back_channel import answer_of
from http_mcp._context import Ask
from http_mcp._tasks import caller_digest
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import INTERNAL_ERROR, INVALID_REQUEST, Response, error_bytes
from http_mcp.stores import Store, Subscription
from http_mcp.transports._sse import ResponseStream

logger = logging.getLogger("http_mcp")

ID_PREFIX: Final = "srv-"
_PREFIX: Final = "back-channel:"  # the record's key, and the channel its answer comes on
_UNKNOWN: Final = (
    "Unknown request id: this server is not waiting for an answer with this id (it is "
    "unknown, expired or already answered)"
)
_NOT_YOURS: Final = "Refused: this answer is for a request made to another caller"
_STORE_DOWN: Final = "The server cannot reach its store to deliver this answer; try again"

Answered = tuple[int, bytes]
"""The HTTP status and body answering a client's posted response."""


class StoreInterruptedError(StoreUnavailableError):
    """The subscription waiting for an answer was interrupted: the answer may be lost."""


class Replies:
    """Sends requests to clients and routes their answers, through a store."""

    __slots__ = ("_store", "_timeout_ms")

    def __init__(self, store: Callable[[], Store], timeout_s: float) -> None:
        self._store = store
        self._timeout_ms = max(1, int(timeout_s * 1000))

    def asker(self, stream: ResponseStream, user: Any, scopes: frozenset[str]) -> Ask:
        """The `RequestContext.ask` of one call made on `stream` by this caller."""

        async def ask(method: str, params: dict[str, Any]) -> dict[str, Any]:
            owner = caller_digest(user, scopes)
            return await self._ask(stream, owner, method, params)

        return ask

    async def _ask(
        self, stream: ResponseStream, owner: str, method: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        request_id = ID_PREFIX + secrets.token_urlsafe(24)
        name = _PREFIX + request_id
        store = self._store()
        deadline = _now_ms() + self._timeout_ms
        record = to_json({"owner": owner, "deadline": deadline})
        answered = False
        async with store.subscribe(name) as subscription:
            await store.put(name, record, ttl_ms=self._timeout_ms)
            try:
                await stream.request(request_id, method, params)
                logger.debug("sent %s to the client as %s", method, request_id)
                answer = await _first(subscription)
                answered = True
            finally:
                if not answered:  # timed out or cancelled: a late answer is refused
                    with anyio.CancelScope(shield=True):
                        await _forget(store, name)
        content = from_json(answer)
        return answer_of(content.get("result"), content.get("error"))

    async def accept(self, response: Response, owner: str) -> Answered:
        """Route a client's answer to the replica waiting for it; the HTTP reply to send."""
        request_id = response.id
        if not isinstance(request_id, str) or not request_id.startswith(ID_PREFIX):
            text = "Response to nothing: this server sent no request with this id"
            return 400, error_bytes(None, INVALID_REQUEST, text)
        name = _PREFIX + request_id
        store = self._store()
        try:
            raw = await store.get(name)
            record = None if raw is None else from_json(raw)
            if not isinstance(record, dict) or record.get("deadline", 0) < _now_ms():
                return 400, error_bytes(None, INVALID_REQUEST, _UNKNOWN)
            if not secrets.compare_digest(str(record.get("owner")), owner):
                return 403, error_bytes(None, INVALID_REQUEST, _NOT_YOURS)
            if not await store.delete(name):  # pragma: no cover - two answers at one instant
                return 400, error_bytes(None, INVALID_REQUEST, _UNKNOWN)
            await store.publish(name, _answer_bytes(response))
        except StoreUnavailableError:
            return 503, error_bytes(None, INTERNAL_ERROR, _STORE_DOWN)
        logger.debug("took the client's answer to %s and passed it on", request_id)
        return 202, b""


async def _first(subscription: Subscription) -> bytes:
    async for _, message in subscription:
        if message is None:
            raise StoreInterruptedError("the connection to the store was lost while waiting")
        return message
    # The store closes at shutdown, after the calls in flight: only a misuse gets here.
    raise StoreInterruptedError("the store closed while waiting")  # pragma: no cover


async def _forget(store: Store, name: str) -> None:
    try:
        await store.delete(name)
    except StoreUnavailableError:
        logger.debug("could not delete %s; it expires by itself", name)


def _answer_bytes(response: Response) -> bytes:
    if response.error is not None:
        return to_json({"error": response.error})
    return to_json({"result": response.result})


def _now_ms() -> int:
    return int(time.time() * 1000)
