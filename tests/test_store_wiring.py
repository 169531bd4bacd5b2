"""How a server gets its store: `MCPServer(store=)`, URLs, the lifespan, STDIO and the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import Counter
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.stores import MemoryStore, RedisStore, Store, Subscription, Updated, store_from_url
from http_mcp.stores._base import Change
from http_mcp.types import (
    Arguments,
    Prompt,
    PromptMessage,
    Resource,
    TextContent,
    Tool,
)
from tests.conftest import LEGACY, Wire, legacy_request, send
from tests.redis_support import free_port
from tests.replica_support import Replicas

pytestmark = pytest.mark.anyio

ROOT: Final = Path(__file__).resolve().parent.parent
TIMEOUT_S: Final = 30.0


class CountingStore(MemoryStore):
    """An in-process store that counts the operations made on it, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    async def get(self, key: str) -> bytes | None:
        self.calls["get"] += 1
        return await super().get(key)

    async def put(self, key: str, value: bytes, *, ttl_ms: int, if_absent: bool = False) -> bool:
        self.calls["put"] += 1
        return await super().put(key, value, ttl_ms=ttl_ms, if_absent=if_absent)

    async def update(self, key: str, change: Change, *, ttl_ms: int | None = None) -> Updated:
        self.calls["update"] += 1
        return await super().update(key, change, ttl_ms=ttl_ms)

    async def delete(self, key: str) -> bool:
        self.calls["delete"] += 1
        return await super().delete(key)

    async def publish(self, channel: str, message: bytes) -> None:
        self.calls["publish"] += 1
        await super().publish(channel, message)

    def subscribe(self, *channels: str) -> AbstractAsyncContextManager[Subscription]:
        self.calls["subscribe"] += 1
        return super().subscribe(*channels)

    async def append(self, log: str, entry: bytes, *, ttl_ms: int, max_len: int = 1000) -> str:
        self.calls["append"] += 1
        return await super().append(log, entry, ttl_ms=ttl_ms, max_len=max_len)

    async def read_after(
        self, log: str, after: str | None, *, limit: int = 100, block_ms: int = 0
    ) -> list[tuple[str, bytes]]:
        self.calls["read_after"] += 1
        return await super().read_after(log, after, limit=limit, block_ms=block_ms)

    async def aclose(self) -> None:
        self.calls["aclose"] += 1
        await super().aclose()


class Text(BaseModel):
    text: str


def echo(arguments: Arguments[Text]) -> str:
    return arguments.inputs.text


def hello(arguments: Arguments[Text]) -> list[PromptMessage]:
    return [PromptMessage(role="user", content=TextContent(text=arguments.inputs.text))]


def readme() -> str:
    return "read me"


def plain_server(store: Store | None = None, *, back_channel: bool = False) -> MCPServer:
    return MCPServer(
        name="plain",
        version="1",
        tools=(Tool(func=echo, inputs=Text),),
        prompts=(Prompt(func=hello, arguments_type=Text),),
        resources=(Resource(uri="docs://readme", func=readme),),
        store=store,
        back_channel=back_channel,
    )


# -- MCPServer(store=...) ---------------------------------------------------------------------


async def test_a_server_uses_the_store_it_is_given_or_one_in_process() -> None:
    given = MemoryStore()
    assert plain_server(given).store is given
    default = plain_server()
    assert isinstance(default.store, MemoryStore)
    assert default.store is default.store
    assert default.needs_shared_store is False
    replacement = MemoryStore()
    default.store = replacement
    assert default.store is replacement


async def test_a_store_that_is_not_a_store_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a Store"):
        plain_server("redis://localhost")  # type: ignore[arg-type]
    server = plain_server()
    with pytest.raises(TypeError, match="must be a Store"):
        server.store = object()  # type: ignore[assignment]


@pytest.mark.parametrize("back_channel", [False, True])
@pytest.mark.parametrize("era", ["modern", "legacy"])
async def test_stateless_requests_make_no_store_call(
    wire_of: Any, era: str, back_channel: bool
) -> None:
    store = CountingStore()
    wire: Wire = wire_of(plain_server(store, back_channel=back_channel))
    session: dict[str, str] = {}
    if era == "legacy":
        initialized = await wire.legacy("initialize", _initialize())
        assert initialized.status_code == 200
        if back_channel:  # calls that ask nothing carry the session id for nothing
            session["mcp_session_id"] = initialized.headers["mcp-session-id"]
    else:
        assert (await wire.modern("server/discover")).status_code == 200
    answers = [
        await send(wire, era, "tools/list", **session),
        await send(
            wire, era, "tools/call", {"name": "echo", "arguments": {"text": "hi"}}, **session
        ),
        await send(wire, era, "tools/call", {"name": "echo", "arguments": {"text": 3}}, **session),
        await send(wire, era, "prompts/list", **session),
        await send(
            wire, era, "prompts/get", {"name": "hello", "arguments": {"text": "x"}}, **session
        ),
        await send(wire, era, "resources/list", **session),
        await send(wire, era, "resources/read", {"uri": "docs://readme"}, **session),
    ]
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    assert all("result" in answer.json() for answer in answers)
    assert store.calls == Counter()


def _initialize() -> dict[str, Any]:
    return {
        "protocolVersion": LEGACY,
        "capabilities": {},
        "clientInfo": {"name": "tests", "version": "1"},
    }


async def test_the_lifespan_closes_the_store_on_shutdown(live: Any) -> None:
    store = CountingStore()
    server = plain_server(store)
    serving = live(Starlette(routes=[Route("/mcp", server.app)], lifespan=server.lifespan))
    async with httpx.AsyncClient() as http:
        body = legacy_request("tools/call", {"name": "echo", "arguments": {"text": "up"}})
        response = await http.post(serving.url, json=body, headers={"accept": "application/json"})
    assert response.status_code == 200
    assert store.calls["aclose"] == 0
    serving.__exit__(None, None, None)
    assert store.calls["aclose"] == 1


async def test_closing_a_server_whose_store_was_never_used_makes_none() -> None:
    server = plain_server()
    async with server.lifespan(None):
        pass
    await server.aclose()
    store = CountingStore()
    server.store = store
    async with server.lifespan(None):
        pass
    assert store.calls == Counter({"aclose": 1})


async def test_serving_stdio_closes_the_store_when_input_ends() -> None:
    store = CountingStore()
    server = plain_server(store)
    request = legacy_request("tools/call", {"name": "echo", "arguments": {"text": "hi"}})
    stdout = io.BytesIO()
    await server.serve_stdio(stdin=io.BytesIO(json.dumps(request).encode() + b"\n"), stdout=stdout)
    assert json.loads(stdout.getvalue())["result"]["content"][0]["text"] == "hi"
    assert store.calls == Counter({"aclose": 1})


# -- store_from_url ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["memory://", "memory:///", "memory:"])
def test_a_memory_url_names_the_in_process_store(url: str) -> None:
    assert isinstance(store_from_url(url), MemoryStore)


def test_a_redis_url_names_a_redis_store_with_its_options() -> None:
    store = store_from_url("redis://:pw@cache.internal:6380/2?prefix=vulns:&timeout=2.5")
    assert isinstance(store, RedisStore)
    assert store.shared is True
    assert (store.prefix, store.timeout) == ("vulns:", 2.5)
    assert "cache.internal:6380" in repr(store)
    assert "pw" not in repr(store)
    assert isinstance(store_from_url("rediss://cache.internal"), RedisStore)
    assert isinstance(store_from_url("unix:///run/redis.sock"), RedisStore)
    assert MemoryStore.shared is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://user:pw@db/x", "not a store URL"),
        ("localhost:6379", "not a store URL"),
        ("", "not a store URL"),
        ("memory://somewhere", "just memory://"),
        ("redis://h?db=3", "unknown store URL option 'db'"),
        ("redis://h?timeout=soon", "timeout must be seconds"),
        ("redis://h?timeout=0", "timeout must be a positive number"),
        ("redis://h?timeout=nan", "timeout must be a positive number"),
    ],
)
def test_a_bad_store_url_is_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        store_from_url(url)
    assert "pw" not in str(raised.value)


def test_a_redis_store_needs_a_redis_url() -> None:
    with pytest.raises(ValueError, match="redis://, rediss:// or unix://"):
        RedisStore("http://user:pw@cache/0")


# -- http-mcp run --store ---------------------------------------------------------------------

APP: Final = "tests.fixtures.replica_app:app"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "HTTP_MCP_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "http_mcp", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        env={**environment, **(env or {})},
    )


def stdio_call(name: str, *options: str, env: dict[str, str] | None = None) -> str:
    request = legacy_request("tools/call", {"name": name, "arguments": {}})
    environment = {k: v for k, v in os.environ.items() if k != "HTTP_MCP_STORE"}
    completed = subprocess.run(
        [sys.executable, "-m", "http_mcp", "run", APP, "--stdio", *options],
        cwd=ROOT,
        input=json.dumps(request) + "\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        env={**environment, **(env or {})},
    )
    assert completed.returncode == 0, completed.stderr
    text: str = json.loads(completed.stdout)["result"]["content"][0]["text"]
    return text


def test_the_store_option_wins_over_the_environment_which_wins_over_the_code(
    redis_url: str,
) -> None:
    assert stdio_call("store_kind") == "MemoryStore"
    assert stdio_call("store_kind", env={"HTTP_MCP_STORE": redis_url}) == "RedisStore"
    chosen = stdio_call("store_kind", "--store", "memory://", env={"HTTP_MCP_STORE": redis_url})
    assert chosen == "MemoryStore"
    assert stdio_call("store_kind", "--store", redis_url) == "RedisStore"


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        (("--store", "mongodb://db"), {}, "http-mcp: --store: 'mongodb://db' is not a store URL"),
        ((), {"HTTP_MCP_STORE": "memory://x"}, "http-mcp: HTTP_MCP_STORE: the in-process store"),
        (("--store", "redis://h?pool=9"), {}, "http-mcp: --store: unknown store URL option"),
    ],
)
def test_a_bad_store_setting_is_a_usage_error(
    options: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    completed = cli("run", APP, "--port", str(free_port()), *options, env=env)
    assert completed.returncode == 2
    assert completed.stderr.startswith(message), completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_help_describes_the_store_option() -> None:
    completed = cli("run", "--help")
    assert completed.returncode == 0
    assert "--store URL" in completed.stdout
    assert "HTTP_MCP_STORE" in completed.stdout


def test_several_workers_are_refused_an_in_process_store_for_a_stateful_server() -> None:
    target = "tests.fixtures.replica_app:stateful"
    completed = cli("run", target, "--port", str(free_port()), "--workers", "2")
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("http-mcp: --workers needs a store all workers share")
    assert "--store redis://" in lines[0]
    assert "HTTP_MCP_STORE" in lines[0]


def test_several_workers_of_a_stateful_server_share_the_store_the_option_names(
    redis_url: str,
) -> None:
    target = "tests.fixtures.replica_app:stateful"
    workers = Replicas(target, 1, store_url=redis_url, options=("--workers", "2"))
    with workers, httpx.Client() as http:
        url = workers.members[0].url
        kinds = set()
        for n in range(6):
            body = legacy_request("tools/call", {"name": "store_kind", "arguments": {}}, n)
            answer = http.post(url, json=body, headers={"accept": "application/json"}).json()
            kinds.add(answer["result"]["content"][0]["text"])
    assert kinds == {"RedisStore"}


# -- the Redis client is loaded only for a Redis store ----------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def test_a_server_on_the_in_process_store_never_imports_the_redis_client() -> None:
    completed = run_python(
        "import sys\n"
        "from tests.fixtures.replica_app import server\n"
        "from http_mcp.stores import store_from_url\n"
        "server.store = store_from_url('memory://')\n"
        "assert type(server.store).__name__ == 'MemoryStore'\n"
        "assert 'redis' not in sys.modules, 'redis was imported'\n"
    )
    assert completed.returncode == 0, completed.stderr


def test_a_redis_store_without_the_extra_says_how_to_install_it() -> None:
    completed = run_python(
        "import sys\n"
        "sys.modules['redis'] = None  # as if the redis extra were not installed\n"
        "from http_mcp.stores import store_from_url\n"
        "try:\n"
        "    store_from_url('redis://localhost:6379/0')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == (
        "RedisStore needs the redis extra: pip install 'http-mcp[redis]'"
    )
