"""`MCPServer`: the tools and prompts a server offers, and the transports that serve them."""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from time import perf_counter
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import anyio

from http_mcp import _runtime
from http_mcp._call import UNKNOWN_METHOD, Handler
from http_mcp._changes import RESOURCE, Bus, Change
from http_mcp._context import Reply, RequestContext
from http_mcp._declarations import Prompt, Tool
from http_mcp._dispatch import METHODS
from http_mcp._jsonrpc import raw_result_bytes, result_bytes
from http_mcp._listen import follow_changes
from http_mcp._observe import answer, log_request
from http_mcp._prompts import RegisteredPrompt
from http_mcp._protocol import acknowledge, negotiate
from http_mcp._registry import Registry, address
from http_mcp._request_state import RequestStateCodec
from http_mcp._resources import RegisteredResource, Resource, ResourceTemplate
from http_mcp._sessions import Sessions
from http_mcp._tasks import Tasks
from http_mcp._tools import RegisteredTool
from http_mcp.jsonrpc import JSONRPCError, Message, Request
from http_mcp.middleware import Middleware, chain, check_middleware
from http_mcp.stores import MemoryStore, Store
from http_mcp.transports._http import HTTPApp
from http_mcp.transports._resume import StreamLog

if TYPE_CHECKING:  # the catalogue page and the OpenTelemetry API load only when used
    from http_mcp._catalog import CatalogApp
    from http_mcp._telemetry import Telemetry

__all__ = ["MCPServer"]

DEFAULT_MAX_MESSAGE_SIZE: Final = 4 * 1024 * 1024


class MCPServer:
    """An MCP server that keeps no state about its clients.

    Args:
        name: The server's name, sent to clients as its identity.
        version: The server's version.
        tools: The tools, listed in this order.
        prompts: The prompts, listed in this order.
        resources: `Resource` and `ResourceTemplate` declarations, listed in this order.
        instructions: Guidance for the model on how to use the server.
        title: A display name for people.
        page_size: How many tools or prompts one list page holds; `None` lists all at once.
        list_ttl_ms: How long (milliseconds) a 2026-07-28 client may cache a list.
        max_message_size: The largest request body accepted, in bytes (larger: 413), and
            the longest STDIO line.
        request_state_key: The secret (16 bytes or more) that signs the `requestState` of
            input-required results. Give every replica the same one; without it a random
            per-process key is used and a retry that reaches another replica is refused.
        allowed_hosts: Extra `Host` values to serve: `"example.com"` (any port),
            `"example.com:8443"`, `"*.example.com"` (subdomains) or `"*"` (any). `None`:
            only loopback hosts when reached on a loopback address, else any host.
        allowed_origins: Browser origins (`"https://app.example.com"`) allowed to call the
            server, or `"*"`. `None`: the request's own origin, and loopback origins on a
            loopback host. Requests without `Origin` (clients that are not browsers) pass.
        trust_forwarded_headers: Take the host and scheme from `Forwarded` /
            `X-Forwarded-Host` / `X-Forwarded-Proto`; only behind a proxy that sets them.
        store: Where state that outlives a request lives (`http_mcp.stores`): by default a
            `MemoryStore`, made on first use; a `RedisStore` shares it across replicas. A
            request that needs no such state never touches it.
        middleware: Async functions run around every request, the first outermost
            (`http_mcp.middleware`). They see only what the caller's scopes allow.
        telemetry: Report an OpenTelemetry span and duration per request to the global
            tracer and meter providers when `opentelemetry-api` is installed (the `otel`
            extra). `False` turns it off.
        notifications: Deliver change notifications: answer `subscriptions/listen`
            (2026-07-28), advertise `listChanged` and `resources.subscribe`, and carry what
            `notify_*_changed()` and `notify_resource_updated()` publish on the store to every
            listener of every replica sharing it. Off: those calls do nothing.
        keepalive_s: How often (seconds) an idle listen stream gets a keep-alive comment.
        task_ttl_ms: How long a task (a call to a tool declared with `task=`) stays readable,
            from its creation; the client sees it as `ttlMs`. With task tools,
            `subscriptions/listen` also follows the caller's tasks named in `taskIds`
            (`notifications/tasks`), whatever `notifications` says.
        task_poll_interval_ms: How often clients are asked to poll a task (`pollIntervalMs`).
        task_lease_ms: How soon a task whose server stopped is reported `failed`, and a
            resumed stream (`back_channel`) whose server stopped ends with an error: the
            running server renews a lease of this length every third of it.
        back_channel: At the handshake revisions (2025-11-25 and older) over HTTP, send the
            requests of a tool or prompt returning `InputRequired` to the client on the
            call's event stream and continue with its answers, which may reach any replica
            sharing the store (a shared store is then needed across processes). `initialize`
            then answers with an `Mcp-Session-Id` that holds only the capabilities the client
            declared, sealed with `request_state_key`: never stored, never required. Off: such
            a call ends with an error result naming protocol 2026-07-28. STDIO always asks
            the client on its pipe at the handshake revisions; 2026-07-28 is never affected.
            With it, event streams at the handshake revisions are also resumable on any
            replica: a streamed response is kept in the store with globally unique event ids
            after a priming event, a `GET` with `Last-Event-ID` replays it, a client that
            disconnects no longer cancels its call, and tools may `Arguments.close_stream()`.
        back_channel_timeout_s: How long a call waits for the client to answer the requests
            sent on the back channel (HTTP or STDIO) before it ends with an error.
        stream_ttl_ms: How long the events of a resumable stream stay readable after the
            last one; also how long a call whose client left may go on before it is stopped.

    Example:
        ```python
        server = MCPServer(name="vulns", version="1.0.0", tools=(tool,))
        app = Starlette(routes=[Route("/mcp", server.app)])
        ```

    Raises:
        ValueError: two tools or two prompts share a name, or a size is not positive.
        ValueError: an `allowed_hosts` or `allowed_origins` entry is not a host or an origin.
    """

    def __init__(
        self,
        *,
        name: str,
        version: str,
        tools: Sequence[Tool] = (),
        prompts: Sequence[Prompt] = (),
        resources: Sequence[Resource | ResourceTemplate] = (),
        instructions: str | None = None,
        title: str | None = None,
        page_size: int | None = 100,
        list_ttl_ms: int = 60_000,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        request_state_key: bytes | str | None = None,
        allowed_hosts: Sequence[str] | None = None,
        allowed_origins: Sequence[str] | None = None,
        trust_forwarded_headers: bool = False,
        store: Store | None = None,
        middleware: Sequence[Middleware] = (),
        telemetry: bool = True,
        notifications: bool = False,
        keepalive_s: float = 15.0,
        task_ttl_ms: int = 3_600_000,
        task_poll_interval_ms: int = 1_000,
        task_lease_ms: int = 15_000,
        back_channel: bool = False,
        back_channel_timeout_s: float = 60.0,
        stream_ttl_ms: int = 300_000,
    ) -> None:
        _check_declarations(tools, Tool, "tools")
        _check_declarations(prompts, Prompt, "prompts")
        _check_declarations(resources, (Resource, ResourceTemplate), "resources")
        if page_size is not None and page_size < 1:
            raise ValueError("page_size must be a positive number, or None for no pages")
        if list_ttl_ms < 0:
            raise ValueError("list_ttl_ms must not be negative")
        if max_message_size < 1:
            raise ValueError("max_message_size must be a positive number of bytes")
        if keepalive_s <= 0:
            raise ValueError("keepalive_s must be a positive number of seconds")
        if back_channel_timeout_s <= 0:
            raise ValueError("back_channel_timeout_s must be a positive number of seconds")
        if stream_ttl_ms < 1 or task_lease_ms < 1:
            raise ValueError("stream_ttl_ms and task_lease_ms must be positive milliseconds")
        if store is not None and not isinstance(store, Store):
            raise TypeError(f"MCPServer store must be a Store (http_mcp.stores), got {store!r}")
        registered_tools = tuple(RegisteredTool.build(t) for t in tools)
        registered_prompts = tuple(RegisteredPrompt.build(p) for p in prompts)
        _runtime.check_unique([t.name for t in registered_tools], "tool")
        _runtime.check_unique([p.name for p in registered_prompts], "prompt")
        registered_resources = tuple(RegisteredResource.build(r) for r in resources)
        _runtime.check_unique([address(r) for r in registered_resources], "resource")
        info = {"name": name, "version": version}
        if title is not None:
            info["title"] = title
        self.name = name
        self.version = version
        self._store = store
        # Read by the command line, to warn at start-up when several workers cannot share it.
        self._shares_request_state_key = request_state_key is not None
        codec = RequestStateCodec(request_state_key)
        self._registry = Registry(
            server_info=info,
            instructions=instructions,
            tools=registered_tools,
            prompts=registered_prompts,
            resources=registered_resources,
            page_size=page_size,
            list_ttl_ms=list_ttl_ms,
            codec=codec,
        )
        self._notifications = notifications
        self._sessions = Sessions(codec) if back_channel else None
        self._registry.back_channel_timeout_s = back_channel_timeout_s
        if notifications:
            self._registry.deliver_changes()
        if any(t.tool.task is not None for t in registered_tools):
            for field, value in (
                ("task_ttl_ms", task_ttl_ms),
                ("task_poll_interval_ms", task_poll_interval_ms),
                ("task_lease_ms", task_lease_ms),
            ):
                if value < 1:
                    raise ValueError(f"{field} must be a positive number of milliseconds")
            self._registry.tasks = Tasks(
                lambda: self.store,
                ttl_ms=task_ttl_ms,
                poll_interval_ms=task_poll_interval_ms,
                lease_ms=task_lease_ms,
            )
        self._bus: Bus | None = None
        if notifications or self._registry.tasks is not None:
            self._bus = self._registry.bus = Bus(lambda: self.store, self._registry.changed)
        self._result_meta = self._registry.result_meta
        self._max_message_size = max_message_size
        layers = check_middleware(middleware)
        self._chain: Handler | None = chain(layers) if layers else None
        self._telemetry = _telemetry() if telemetry else None
        self._answer = functools.partial(answer, handler=self._chain)
        self._streams: StreamLog | None = None
        if back_channel:
            self._streams = StreamLog(lambda: self.store, stream_ttl_ms, task_lease_ms)
        self._app = HTTPApp(
            self,
            max_message_size,
            allowed_hosts=allowed_hosts,
            allowed_origins=allowed_origins,
            trust_forwarded_headers=trust_forwarded_headers,
            keepalive_s=keepalive_s,
            sessions=self._sessions,
            back_channel_timeout_s=back_channel_timeout_s,
            streams=self._streams,
            follow_changes=(
                None if not notifications else functools.partial(follow_changes, self._registry)
            ),
        )

    def __repr__(self) -> str:
        return f"MCPServer(name={self.name!r}, version={self.version!r})"

    @property
    def app(self) -> HTTPApp:
        """The ASGI app serving the Streamable HTTP endpoint.

        Use it as a `Route` endpoint so that the exact path answers:
        `Route("/mcp", server.app)` in Starlette, `app.add_route("/mcp", server.app)` in
        FastAPI.
        """
        return self._app

    def catalog_app(self, *, endpoint: str = "/mcp") -> CatalogApp:
        """An ASGI app serving a human-readable catalogue of this server, for people.

        Like FastAPI's `/docs`: the page lists the tools, prompts, resources and resource
        templates the caller may see (names, descriptions, schemas as tables, annotations,
        required scopes) and lets a person call a tool, get a prompt or read a resource. It
        asks the endpoint itself, with the page request's own credentials, so scope
        filtering applies exactly as for an MCP client: serve the page behind the same
        authentication as the endpoint. The page loads nothing from elsewhere and is served
        with a strict Content-Security-Policy. Nothing is served until you mount it.

        Args:
            endpoint: The path the MCP endpoint is served at, relative to the app's root path;
                the page posts its calls there, from the browser, with its cookies.

        Example:
            ```python
            app = Starlette(routes=[
                Route("/mcp", server.app),
                Route("/mcp/catalog", server.catalog_app(endpoint="/mcp")),
            ])
            ```

        Raises:
            ValueError: `endpoint` is not a path starting with "/".
        """
        # Imported here: a server that never mounts the page never loads it.
        from http_mcp._catalog import CatalogApp

        return CatalogApp(self._app, self.scoped_names(), endpoint)

    @property
    def store(self) -> Store:
        """The store holding what outlives a request; a `MemoryStore` unless one was given.

        Assign another before serving to replace it (`http-mcp run --store URL` does).
        """
        if self._store is None:
            self._store = MemoryStore()
        return self._store

    @store.setter
    def store(self, store: Store) -> None:
        if not isinstance(store, Store):
            raise TypeError(f"MCPServer store must be a Store (http_mcp.stores), got {store!r}")
        self._store = store

    @property
    def needs_shared_store(self) -> bool:
        """Whether a feature that keeps state between requests is on.

        Then every process serving this server must reach the same store, and
        `http-mcp run --workers N` refuses a store that is not shared. Change notifications
        (`notifications=True`) need one: a change made in one worker must reach the
        listeners of the others; so do tasks, and the back channel (`back_channel=True`): a
        client's answer may reach another worker than the one waiting for it.
        """
        return (
            self._bus is not None or self._registry.tasks is not None or self._sessions is not None
        )

    async def notify_tools_changed(self) -> None:
        """Tell every listening client, on every replica sharing the store, that tools changed.

        Call it from anywhere: a tool, a background job, another process holding a server
        configured with the same store. Each replica's own tool list is what clients then
        read, so keep the lists identical on every replica (derive them from shared data).

        Raises:
            StoreUnavailableError: the store could not be reached.
        """
        await self._publish(Change("tools"))

    async def notify_prompts_changed(self) -> None:
        """Tell every listening client that the prompt list changed (see `notify_tools_changed`).

        Raises:
            StoreUnavailableError: the store could not be reached.
        """
        await self._publish(Change("prompts"))

    async def notify_resources_changed(self) -> None:
        """Tell every listening client that the resource list changed.

        Raises:
            StoreUnavailableError: the store could not be reached.
        """
        await self._publish(Change("resources"))

    async def notify_resource_updated(self, uri: str) -> None:
        """Tell the clients listening to `uri` that its content changed.

        Only clients that may read the resource are told: one whose scopes hide it never
        hears of it.

        Raises:
            StoreUnavailableError: the store could not be reached.
        """
        if not isinstance(uri, str):
            raise TypeError(f"notify_resource_updated needs the resource's URI, got {uri!r}")
        await self._publish(Change(RESOURCE, uri))

    async def add(self, *declarations: Tool | Prompt | Resource | ResourceTemplate) -> None:
        """Offer more tools, prompts, resources or templates from now on, and say so.

        The lists are rebuilt, then every listening client is told which lists changed
        (`notify_tools_changed()` and the like). Only this process's lists change: clients may
        reach any replica, so make the same change on every replica (for example, each one
        derives its lists from shared data and applies a change it is told of).

        Raises:
            TypeError: an argument is not a `Tool`, `Prompt`, `Resource` or `ResourceTemplate`.
            ValueError: its name (a resource's URI) is taken.
        """
        for kind, audience in _runtime.add(self._registry, declarations):
            await self._publish(Change(kind, audience=audience))

    async def remove(
        self,
        *,
        tools: Iterable[str] = (),
        prompts: Iterable[str] = (),
        resources: Iterable[str] = (),
    ) -> None:
        """Stop offering tools and prompts (by name) and resources (by URI or URI template).

        Requests already running finish; listening clients are told which lists changed.
        Like `add`, this changes only this process's lists.

        Raises:
            ValueError: one of them is not offered; nothing is removed.
        """
        for kind, audience in _runtime.remove(self._registry, tools, prompts, resources):
            await self._publish(Change(kind, audience=audience))

    def end_listen_streams(self) -> None:
        """End every open `subscriptions/listen` stream of this process gracefully.

        Each gets its final result (`resultType: "complete"`) and closes. `http-mcp run`
        calls it when the server is asked to stop, before waiting for open connections; when
        serving with uvicorn yourself, call it on shutdown (or give uvicorn a
        `--timeout-graceful-shutdown`), since uvicorn waits for open streams before it runs
        the application's lifespan shutdown. The end of STDIO input calls it too.
        """
        if self._bus is not None:
            self._bus.end_all()

    async def _publish(self, change: Change) -> None:
        if self._notifications and self._bus is not None:
            await self._bus.publish(change)

    @asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """The server's part of an application's lifespan: closes the store on shutdown.

        Example:
            ```python
            app = Starlette(routes=[Route("/mcp", server.app)], lifespan=server.lifespan)
            ```

            With a lifespan of your own, enter it there: `async with server.lifespan(app):`.
        """
        if self._streams is not None:  # hear cancels for calls of this process from the start
            await self._streams.cancels.listen()
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """End open listen streams gracefully, then close the store, if one was used."""
        self.end_listen_streams()
        if self._streams is not None:
            self._streams.cancels.stop_listening()
        if self._store is not None:
            await self._store.aclose()

    @property
    def max_message_size(self) -> int:
        """The largest request body (and STDIO line) accepted, in bytes."""
        return self._max_message_size

    def scoped_names(self) -> dict[str, dict[str, frozenset[str]]]:
        """The scopes each scoped tool, prompt and resource needs, by the method that uses it.

        `{"tools/call": {name: scopes}, "prompts/get": {...}, "resources/read": {uri: ...}}`;
        unscoped items are left out. For authorization layers that challenge a caller for the
        scopes a call needs.
        """
        return {
            name: dict(scopes)
            for name, scopes in self._registry.scopes_by_target().items()
            if METHODS[name].scoped
        }

    async def serve_stdio(
        self,
        *,
        scopes: Iterable[str] = (),
        state: Mapping[str, Any] | None = None,
        stdin: BinaryIO | None = None,
        stdout: BinaryIO | None = None,
    ) -> None:
        """Serve newline-delimited JSON-RPC on stdin and stdout until stdin ends.

        Args:
            scopes: The caller's scopes. Under STDIO whoever starts the process decides them;
                with none, scoped tools and prompts stay hidden.
            state: What tools read with `Arguments.get_state_key`, as an application's
                lifespan would provide it over HTTP.
            stdin: Where requests come from; default the process's stdin.
            stdout: Where responses go; default the process's stdout, which is then reserved
                for protocol frames (anything else written to it goes to stderr).
        """
        # Imported here: servers that only speak HTTP never load the STDIO transport.
        from http_mcp.transports._stdio import StdioSession, protocol_stdout

        session = StdioSession(
            handle=self.handle,
            scopes=frozenset(scopes),
            state=dict(state or {}),
            max_message_size=self._max_message_size,
            on_input_end=self.end_listen_streams,
        )
        source = stdin if stdin is not None else sys.stdin.buffer
        try:
            if stdout is not None:
                await session.serve(source, stdout)
                return
            with protocol_stdout() as frames:
                await session.serve(source, frames)
        finally:
            await self.aclose()

    def run_stdio(
        self, *, scopes: Iterable[str] = (), state: Mapping[str, Any] | None = None
    ) -> None:
        """Blocking form of `serve_stdio` on the process's stdin and stdout."""
        anyio.run(functools.partial(self.serve_stdio, scopes=scopes, state=state))

    async def handle(self, message: Message, context: RequestContext) -> Reply | None:
        """Answer one parsed JSON-RPC message: the one entry point of every transport.

        Protocol rules (both eras, version negotiation, the routing headers when
        `context.headers` is given, scopes, errors) are applied here, the same for every
        transport.

        Args:
            message: A message parsed by `http_mcp.jsonrpc.parse`.
            context: What the transport knows about the message.

        Returns:
            The serialized response; `None` for a notification or a client's response,
            which get no answer.
        """
        if not isinstance(message, Request):
            return acknowledge(message, context)
        started = perf_counter()
        method = METHODS.get(message.method, UNKNOWN_METHOD)
        try:
            call = negotiate(message, context, method, self._registry)
        except JSONRPCError as exc:
            log_request(message, method, exc, started)
            return Reply(exc.to_bytes(), exc.code, modern=True)
        telemetry = self._telemetry
        if telemetry is None or not telemetry.active():
            result = await answer(call, self._chain)
        else:
            result = await telemetry.observe(call, self._answer)
        log_request(message, method, result, started)
        if isinstance(result, JSONRPCError):
            result.request_id = message.id
            return Reply(result.to_bytes(), result.code, call.modern)
        if isinstance(result, bytes):
            return Reply(raw_result_bytes(message.id, result), None, call.modern)
        if call.modern:
            meta = result.get("_meta")
            meta = self._result_meta if meta is None else {**self._result_meta, **meta}
            result = {"resultType": "complete", **result, "_meta": meta}
        return Reply(result_bytes(message.id, result), None, call.modern)


def _telemetry() -> Telemetry | None:
    """OpenTelemetry reporting, when `opentelemetry-api` is installed."""
    try:
        # Imported here: the API is an optional extra.
        from http_mcp._telemetry import Telemetry
    except ImportError:
        return None
    return Telemetry()


def _check_declarations(items: object, kind: type | tuple[type, ...], field: str) -> None:
    names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
    if isinstance(items, kind) or not isinstance(items, Sequence | tuple | list):
        raise TypeError(f"MCPServer {field} must be a sequence of {names}, e.g. ({field[:-1]},)")
    for item in items:
        if not isinstance(item, kind):
            raise TypeError(f"MCPServer {field} must hold {names} objects, got {item!r}")
