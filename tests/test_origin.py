"""Host and Origin checks: DNS rebinding, cross-site requests, allow-lists and proxies."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from http_mcp import MCPServer
from http_mcp.jsonrpc import INVALID_REQUEST
from tests.conftest import legacy_request

pytestmark = pytest.mark.anyio

LOOPBACK_URL = "http://127.0.0.1:8000/mcp"
PUBLIC_URL = "http://10.0.0.5:8000/mcp"
PING = legacy_request("ping", request_id=1)
NO_SERVER = object()

Headers = Mapping[str, str] | Sequence[tuple[str, str]]


def make_server(**kwargs: Any) -> MCPServer:
    return MCPServer(name="origin", version="1.0.0", **kwargs)


async def post(
    server: MCPServer, url: str = LOOPBACK_URL, headers: Headers = (), method: str = "POST"
) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app)) as client:
        return await client.request(method, url, json=PING, headers=headers)


async def call_raw(
    server: MCPServer, headers: Sequence[tuple[bytes, bytes]], address: object
) -> tuple[int, dict[str, Any]]:
    """One POST straight to the ASGI app, for scopes no HTTP client produces."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "headers": [(b"content-type", b"application/json"), *headers],
    }
    if address is not NO_SERVER:
        scope["server"] = address
    incoming: list[ASGIMessage] = [{"type": "http.request", "body": json.dumps(PING).encode()}]
    sent: list[ASGIMessage] = []

    async def receive() -> ASGIMessage:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: ASGIMessage) -> None:
        sent.append(message)

    await server.app(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


def refusal_message(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["id"] is None
    assert body["error"]["code"] == INVALID_REQUEST
    message: str = body["error"]["message"]
    return message


def assert_served(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


# -- Host on a loopback address ------------------------------------------------------------


async def test_foreign_host_on_loopback_is_421_naming_the_host_and_the_setting() -> None:
    response = await post(make_server(), headers={"host": "evil.example.com"})
    message = refusal_message(response, 421)
    assert "'evil.example.com'" in message
    assert "loopback" in message
    assert "MCPServer(allowed_hosts=[...])" in message
    assert "trust_forwarded_headers" not in message


async def test_host_check_runs_before_the_method_check() -> None:
    response = await post(make_server(), headers={"host": "evil.example.com"}, method="GET")
    refusal_message(response, 421)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:8000",
        "127.1.2.3:9",
        "localhost",
        "localhost:3000",
        "LocalHost:1",
        "localhost.:8000",
        "[::1]",
        "[::1]:8000",
        "[0:0:0:0:0:0:0:1]:8000",
        "[::ffff:127.0.0.1]:8000",
    ],
)
async def test_loopback_host_with_any_port_is_served_on_loopback(host: str) -> None:
    assert_served(await post(make_server(), headers={"host": host}))


@pytest.mark.parametrize(
    "host",
    [
        "evil.example.com",
        "evil.example.com:8000",
        "localhost.evil.example.com",
        "127.0.0.1.evil.example.com",
        "127.evil",
        "127.0.0.256",
        "0.0.0.0:8000",
        "10.0.0.5",
        "[::2]:8000",
        "[::1",
        "localhost:99999",
        "localhost:http",
        "localhost:8000:1",
        "local host",
        ".",
        "",
        "localhost, evil.example.com",
    ],
)
async def test_other_host_is_421_on_loopback(host: str) -> None:
    refusal_message(await post(make_server(), headers={"host": host}), 421)


async def test_duplicated_host_header_is_421_on_loopback() -> None:
    headers = [("host", "127.0.0.1:8000"), ("host", "127.0.0.1:8000")]
    refusal_message(await post(make_server(), headers=headers), 421)


async def test_ipv6_loopback_server_accepts_only_loopback_hosts() -> None:
    server = make_server()
    assert_served(await post(server, "http://[::1]:8000/mcp"))
    refusal_message(await post(server, "http://[::1]/mcp", {"host": "evil.example.com"}), 421)


async def test_missing_host_on_loopback_is_421_saying_how_to_accept_it() -> None:
    status, body = await call_raw(make_server(), [], ("127.0.0.1", 8000))
    assert status == 421
    assert "no Host header" in body["error"]["message"]
    assert "allowed_hosts=['*']" in body["error"]["message"]


async def test_missing_host_off_loopback_is_served() -> None:
    status, body = await call_raw(make_server(), [], ("10.0.0.5", 8000))
    assert (status, body["result"]) == (200, {})


@pytest.mark.parametrize(
    "address", [NO_SERVER, None, ("/run/mcp.sock", None)], ids=["missing", "none", "unix"]
)
async def test_server_address_that_is_not_loopback_accepts_any_host(address: object) -> None:
    status, body = await call_raw(make_server(), [(b"host", b"evil.example.com")], address)
    assert (status, body["result"]) == (200, {})


async def test_overlong_host_is_shortened_in_the_message() -> None:
    response = await post(make_server(), headers={"host": "a" * 5000})
    assert len(refusal_message(response, 421)) < 500


# -- Host on other addresses ---------------------------------------------------------------


@pytest.mark.parametrize("host", ["mcp.example.com", "anything.test:8443", "localhost", "a b"])
async def test_server_off_loopback_accepts_any_host_by_default(host: str) -> None:
    assert_served(await post(make_server(), PUBLIC_URL, {"host": host}))


# -- allowed_hosts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "host", "served"),
    [
        pytest.param(["mcp.example.com"], "mcp.example.com", True, id="exact"),
        pytest.param(["mcp.example.com"], "MCP.Example.COM:8443", True, id="exact-any-port"),
        pytest.param(["MCP.example.com."], "mcp.example.com", True, id="entry-normalised"),
        pytest.param(["mcp.example.com"], "other.example.com", False, id="exact-other"),
        pytest.param(["mcp.example.com"], "sub.mcp.example.com", False, id="exact-no-subdomain"),
        pytest.param(["mcp.example.com"], "localhost", False, id="loopback-not-listed"),
        pytest.param(["mcp.example.com:8443"], "mcp.example.com:8443", True, id="port"),
        pytest.param(["mcp.example.com:8443"], "mcp.example.com", False, id="port-missing"),
        pytest.param(["mcp.example.com:8443"], "mcp.example.com:9000", False, id="port-other"),
        pytest.param(["*.example.com"], "a.example.com", True, id="wildcard"),
        pytest.param(["*.example.com"], "a.b.example.com:1", True, id="wildcard-deep"),
        pytest.param(["*.example.com"], "example.com", False, id="wildcard-not-apex"),
        pytest.param(["*.example.com"], "badexample.com", False, id="wildcard-suffix-only"),
        pytest.param(["*.example.com:443"], "a.example.com:443", True, id="wildcard-port"),
        pytest.param(["*.example.com:443"], "a.example.com:80", False, id="wildcard-port-other"),
        pytest.param(["::1"], "[::1]:8000", True, id="bare-ipv6"),
        pytest.param(["[2001:db8::1]:8000"], "[2001:db8::1]:8000", True, id="ipv6-port"),
        pytest.param(["*"], "anything.test", True, id="any"),
        pytest.param([], "mcp.example.com", False, id="empty"),
        pytest.param(["mcp.example.com"], "not a host", False, id="malformed"),
    ],
)
async def test_allowed_hosts_off_loopback(allowed: list[str], host: str, served: bool) -> None:
    response = await post(make_server(allowed_hosts=allowed), PUBLIC_URL, {"host": host})
    if served:
        assert_served(response)
    else:
        message = refusal_message(response, 421)
        assert "MCPServer(allowed_hosts=[...])" in message
        assert "loopback" not in message


async def test_allowed_hosts_on_loopback_keep_loopback_hosts() -> None:
    server = make_server(allowed_hosts=["mcp.example.com"])
    assert_served(await post(server, headers={"host": "localhost:8000"}))
    assert_served(await post(server, headers={"host": "mcp.example.com"}))
    message = refusal_message(await post(server, headers={"host": "evil.example.com"}), 421)
    assert "loopback hosts and those in MCPServer(allowed_hosts=[...])" in message


async def test_allow_lists_may_be_any_collection_of_strings() -> None:
    server = make_server(
        allowed_hosts=frozenset({"mcp.example.com"}),
        allowed_origins=(o for o in ["https://mcp.example.com"]),
    )
    headers = {"host": "mcp.example.com", "origin": "https://mcp.example.com"}
    assert_served(await post(server, PUBLIC_URL, headers))


async def test_star_accepts_any_host_on_loopback() -> None:
    server = make_server(allowed_hosts=["*"])
    assert_served(await post(server, headers={"host": "evil.example.com"}))
    status, _ = await call_raw(server, [], ("127.0.0.1", 8000))
    assert status == 200


async def test_missing_host_is_421_with_an_allow_list() -> None:
    server = make_server(allowed_hosts=["mcp.example.com"])
    status, body = await call_raw(server, [], ("10.0.0.5", 8000))
    assert status == 421
    assert "no Host header" in body["error"]["message"]


# -- Origin ----------------------------------------------------------------------------------


async def test_foreign_origin_is_403_naming_the_origin_and_the_setting() -> None:
    headers = {"host": "127.0.0.1:8000", "origin": "http://evil.example.com"}
    message = refusal_message(await post(make_server(), headers=headers), 403)
    assert "'http://evil.example.com'" in message
    assert "'127.0.0.1:8000'" in message
    assert "MCPServer(allowed_origins=[...])" in message


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("localhost:8000", "http://localhost:8000"),
        ("127.0.0.1:8000", "http://localhost:6274"),
        ("localhost:8000", "https://127.0.0.1"),
        ("[::1]:8000", "http://[::1]:5173"),
        ("127.0.0.1:8000", "HTTP://LOCALHOST:3000"),
    ],
)
async def test_same_or_loopback_origin_is_served_on_loopback(host: str, origin: str) -> None:
    assert_served(await post(make_server(), headers={"host": host, "origin": origin}))


async def test_null_origin_is_403() -> None:
    headers = {"host": "127.0.0.1:8000", "origin": "null"}
    message = refusal_message(await post(make_server(), headers=headers), 403)
    assert "'null'" in message


@pytest.mark.parametrize(
    "origin",
    [
        "127.0.0.1:8000",
        "http://",
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/mcp",
        "http://user@127.0.0.1:8000",
        "http://127.0.0.1:99999",
        "file://",
        "",
    ],
)
async def test_malformed_origin_is_403(origin: str) -> None:
    headers = {"host": "127.0.0.1:8000", "origin": origin}
    refusal_message(await post(make_server(), headers=headers), 403)


async def test_duplicated_origin_header_is_403() -> None:
    origin = "http://127.0.0.1:8000"
    headers = [("host", "127.0.0.1:8000"), ("origin", origin), ("origin", origin)]
    refusal_message(await post(make_server(), headers=headers), 403)


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("mcp.example.com", "https://mcp.example.com"),
        ("mcp.example.com", "http://mcp.example.com"),
        ("MCP.example.com:443", "https://mcp.example.com"),
        ("mcp.example.com:8080", "http://mcp.example.com:8080"),
        ("localhost:8000", "http://127.0.0.1:3000"),
    ],
)
async def test_origin_of_the_host_is_served_off_loopback(host: str, origin: str) -> None:
    assert_served(await post(make_server(), PUBLIC_URL, {"host": host, "origin": origin}))


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("mcp.example.com", "https://evil.example.com"),
        ("mcp.example.com", "https://mcp.example.com:8443"),
        ("mcp.example.com:443", "http://mcp.example.com"),
        ("mcp.example.com", "https://sub.mcp.example.com"),
        ("mcp.example.com", "chrome-extension://abcdef"),
        ("abcdef", "chrome-extension://abcdef"),
        ("not a host", "https://mcp.example.com"),
    ],
)
async def test_origin_of_another_host_is_403_off_loopback(host: str, origin: str) -> None:
    response = await post(make_server(), PUBLIC_URL, {"host": host, "origin": origin})
    refusal_message(response, 403)


async def test_origin_without_host_is_403() -> None:
    headers = [(b"origin", b"https://mcp.example.com")]
    status, body = await call_raw(make_server(), headers, ("10.0.0.5", 8000))
    assert status == 403
    assert "without a Host header" in body["error"]["message"]


# -- allowed_origins ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "origin", "served"),
    [
        pytest.param(["https://app.example.com"], "https://app.example.com", True, id="exact"),
        pytest.param(
            ["https://app.example.com"], "https://APP.example.com:443", True, id="default-port"
        ),
        pytest.param(["HTTPS://App.Example.com/"], "https://app.example.com", True, id="entry"),
        pytest.param(["http://localhost:3000"], "http://localhost:3000", True, id="port"),
        pytest.param(["https://app.example.com"], "http://app.example.com", False, id="scheme"),
        pytest.param(
            ["https://app.example.com"], "https://app.example.com:8443", False, id="other-port"
        ),
        pytest.param(
            ["https://app.example.com"], "https://mcp.example.com", False, id="same-origin"
        ),
        pytest.param(["https://app.example.com"], "null", False, id="null"),
        pytest.param(["chrome-extension://abcdef"], "chrome-extension://abcdef", True, id="ext"),
        pytest.param([], "https://mcp.example.com", False, id="empty"),
        pytest.param(["*"], "https://anything.test", True, id="any"),
        pytest.param(["*"], "null", True, id="any-null"),
    ],
)
async def test_allowed_origins(allowed: list[str], origin: str, served: bool) -> None:
    server = make_server(allowed_origins=allowed)
    response = await post(server, PUBLIC_URL, {"host": "mcp.example.com", "origin": origin})
    if served:
        assert_served(response)
    else:
        assert "allowed_origins" in refusal_message(response, 403)


async def test_allowed_origins_replace_the_loopback_rule() -> None:
    server = make_server(allowed_origins=["https://app.example.com"])
    headers = {"host": "127.0.0.1:8000", "origin": "http://localhost:6274"}
    message = refusal_message(await post(server, headers=headers), 403)
    assert "is not in MCPServer(allowed_origins=[...])" in message


async def test_request_without_origin_is_served_whatever_allowed_origins_say() -> None:
    server = make_server(allowed_origins=[])
    assert_served(await post(server, headers={"host": "localhost:8000"}))


# -- forwarding headers ------------------------------------------------------------------------


async def test_forwarded_host_is_ignored_by_default_and_the_message_names_the_setting() -> None:
    headers = {"host": "evil.example.com", "x-forwarded-host": "localhost"}
    message = refusal_message(await post(make_server(), headers=headers), 421)
    assert "X-Forwarded-Host 'localhost'" in message
    assert "MCPServer(trust_forwarded_headers=True)" in message


async def test_untrusted_proxy_origin_refusal_names_the_setting() -> None:
    headers = {
        "host": "127.0.0.1:8000",
        "x-forwarded-host": "mcp.example.com",
        "origin": "https://mcp.example.com",
    }
    message = refusal_message(await post(make_server(), headers=headers), 403)
    assert "X-Forwarded-Host 'mcp.example.com'" in message
    assert "trust_forwarded_headers=True" in message


async def test_trusting_forwarded_headers_is_not_suggested_where_it_would_not_help() -> None:
    headers = {
        "host": "mcp.example.com",
        "x-forwarded-proto": "https",
        "origin": "https://evil.example.com",
    }
    message = refusal_message(await post(make_server(), PUBLIC_URL, headers), 403)
    assert "trust_forwarded_headers" not in message
    assert message.endswith("allowed_origins=['https://evil.example.com']")


async def test_behind_a_same_host_proxy_the_421_names_the_setting_that_serves_it() -> None:
    """nginx on the same machine: `proxy_set_header Host $host` and the X-Forwarded-* headers."""
    headers = {
        "host": "mcp.example.com",
        "x-forwarded-host": "mcp.example.com",
        "x-forwarded-proto": "https",
        "x-forwarded-for": "203.0.113.7",
    }
    message = refusal_message(await post(make_server(), headers=headers), 421)
    assert "trust_forwarded_headers" not in message  # it would still be refused
    assert "proxy_set_header Host $host" in message
    suggested = re.search(r": allowed_hosts=(\[[^]]*\])$", message)
    assert suggested is not None, message
    following_it = make_server(allowed_hosts=ast.literal_eval(suggested.group(1)))
    assert_served(await post(following_it, headers=headers))
    trusting_too = make_server(
        allowed_hosts=ast.literal_eval(suggested.group(1)), trust_forwarded_headers=True
    )
    assert_served(await post(trusting_too, headers=headers))


async def test_a_suggestion_to_trust_the_proxy_includes_what_else_it_needs() -> None:
    headers = {
        "host": "127.0.0.1:8000",
        "x-forwarded-host": "mcp.example.com",
        "origin": "https://mcp.example.com",
    }
    message = refusal_message(await post(make_server(), headers=headers), 403)
    suggested = re.search(
        r"MCPServer\(trust_forwarded_headers=True, allowed_hosts=(\[.*?\])\)", message
    )
    assert suggested is not None, message
    server = make_server(
        trust_forwarded_headers=True, allowed_hosts=ast.literal_eval(suggested.group(1))
    )
    assert_served(await post(server, headers=headers))


async def test_trusted_forwarded_host_and_proto_are_the_request_host_and_scheme() -> None:
    server = make_server(allowed_hosts=["mcp.example.com"], trust_forwarded_headers=True)
    headers = {
        "host": "127.0.0.1:8000",
        "x-forwarded-host": "mcp.example.com, internal.local",
        "x-forwarded-proto": "HTTPS",
        "origin": "https://mcp.example.com",
    }
    assert_served(await post(server, headers=headers))
    headers["origin"] = "http://mcp.example.com"
    message = refusal_message(await post(server, headers=headers), 403)
    assert "'https://mcp.example.com'" in message
    assert "trust_forwarded_headers" not in message


async def test_trusted_forwarded_host_replaces_a_loopback_host_header() -> None:
    server = make_server(trust_forwarded_headers=True)
    headers = {"host": "127.0.0.1:8000", "x-forwarded-host": "evil.example.com"}
    message = refusal_message(await post(server, headers=headers), 421)
    assert "'evil.example.com' (from X-Forwarded-Host)" in message


async def test_trusted_forwarded_element_wins_over_x_forwarded_headers() -> None:
    server = make_server(allowed_hosts=["mcp.example.com"], trust_forwarded_headers=True)
    headers = {
        "host": "127.0.0.1:8000",
        "forwarded": 'for=192.0.2.1;host="mcp.example.com";proto=https, host=internal',
        "x-forwarded-host": "evil.example.com",
        "x-forwarded-proto": "http",
        "origin": "https://mcp.example.com",
    }
    assert_served(await post(server, headers=headers))
    headers["forwarded"] = 'for="[2001:db8::1]:4711";HOST="evil\\.example.com";proto=https'
    message = refusal_message(await post(server, headers=headers), 421)
    assert "'evil.example.com' (from Forwarded)" in message


@pytest.mark.parametrize(
    "forwarded",
    [
        "for=192.0.2.1",
        "for=192.0.2.1;",
        "garbage",
        "for=192.0.2.1 host=mcp.example.com",
        "host=",
        "",
    ],
)
async def test_trusted_forwarded_header_without_a_host_leaves_the_host_header(
    forwarded: str,
) -> None:
    server = make_server(trust_forwarded_headers=True)
    headers = {"host": "localhost:8000", "forwarded": forwarded, "x-forwarded-host": " "}
    assert_served(await post(server, headers=headers))


async def test_trust_without_forwarding_headers_uses_the_host_header() -> None:
    server = make_server(trust_forwarded_headers=True)
    headers = {"host": "localhost:8000", "origin": "http://localhost:3000"}
    assert_served(await post(server, headers=headers))
    refusal_message(await post(server, headers={"host": "evil.example.com"}), 421)


# -- configuration mistakes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"allowed_hosts": "example.com"}, TypeError, "list of strings"),
        ({"allowed_hosts": [b"example.com"]}, TypeError, "must hold strings"),
        ({"allowed_hosts": 8000}, TypeError, "list of strings"),
        ({"allowed_hosts": ["https://example.com"]}, ValueError, "allowed_origins"),
        ({"allowed_hosts": ["exa mple.com"]}, ValueError, "'exa mple.com'"),
        ({"allowed_hosts": ["example.com:99999"]}, ValueError, "is not a host"),
        ({"allowed_hosts": ["*.*.example.com"]}, ValueError, "is not a host"),
        ({"allowed_origins": "https://example.com"}, TypeError, "list of strings"),
        ({"allowed_origins": ["example.com"]}, ValueError, "scheme://host[:port]"),
        ({"allowed_origins": ["https://example.com/app"]}, ValueError, "no path"),
        ({"allowed_origins": ["null"]}, ValueError, "is not an origin"),
    ],
)
def test_malformed_allow_list_is_refused_at_construction(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=re.escape(words)):
        make_server(**kwargs)


# -- over a real socket ------------------------------------------------------------------------


def initialize_request() -> dict[str, Any]:
    return legacy_request(
        "initialize",
        {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "conformance-dns-rebinding-test", "version": "1.0.0"},
        },
    )


async def test_dns_rebinding_is_refused_and_the_real_host_served_over_a_socket(
    live: Any,
) -> None:
    running = live(make_server().app)
    own = f"127.0.0.1:{running.port}"
    async with httpx.AsyncClient(timeout=10) as client:
        rebound = await client.post(
            running.url,
            json=initialize_request(),
            headers={"host": "evil.example.com", "origin": "http://evil.example.com"},
        )
        genuine = await client.post(
            running.url, json=initialize_request(), headers={"host": own, "origin": f"http://{own}"}
        )
    assert 400 <= rebound.status_code < 500
    refusal_message(rebound, 421)
    assert genuine.status_code == 200
    assert genuine.json()["result"]["serverInfo"]["name"] == "origin"


def recording_clients(app: ASGIApp, clients: list[object]) -> ASGIApp:
    async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            clients.append(scope["client"])
        await app(scope, receive, send)

    return recorded


@pytest.mark.parametrize("size", [10, 256 * 1024])
async def test_refusal_before_the_body_is_read_keeps_the_connection_usable(
    live: Any, size: int
) -> None:
    clients: list[object] = []
    running = live(recording_clients(make_server().app, clients))
    body = json.dumps(legacy_request("ping", {"pad": "x" * size}, request_id=1)).encode()
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await client.post(
            running.url, content=body, headers={**headers, "host": "evil.example.com"}
        )
        host_ok = await client.post(
            running.url, content=body, headers={**headers, "origin": "http://evil.example.com"}
        )
        served = await client.post(running.url, json=PING)
    refusal_message(refused, 421)
    refusal_message(host_ok, 403)
    assert_served(served)
    assert len(clients) == 3
    assert clients[0] == clients[1] == clients[2]


async def test_a_remembered_accepted_host_decides_nothing_else() -> None:
    """One app, many requests: an accepted Host is remembered per address, never beyond it."""
    server = make_server()
    host = [(b"host", b"evil.example")]
    assert (await call_raw(server, host, ("10.0.0.5", 8000)))[0] == 200  # off loopback
    assert (await call_raw(server, host, ("10.0.0.5", 8000)))[0] == 200
    status, body = await call_raw(server, host, ("127.0.0.1", 8000))  # same Host, on loopback
    assert status == 421
    assert "evil.example" in body["error"]["message"]
    loopback = [(b"host", b"127.0.0.1:8000")]
    assert (await call_raw(server, loopback, ("127.0.0.1", 8000)))[0] == 200
    assert (await call_raw(server, loopback, ("127.0.0.1", 8000)))[0] == 200
    foreign = [*loopback, (b"origin", b"https://evil.example")]
    assert (await call_raw(server, foreign, ("127.0.0.1", 8000)))[0] == 403
    for _ in range(2):  # a refusal is worked out afresh, message and all
        status, body = await call_raw(server, host, ("127.0.0.1", 8000))
        assert status == 421
        assert "allowed_hosts" in body["error"]["message"]


async def test_the_remembered_hosts_are_bounded() -> None:
    server = make_server()
    for number in range(300):  # more than are remembered: the memory starts afresh
        host = [(b"host", f"client-{number}.example".encode())]
        assert (await call_raw(server, host, ("10.0.0.5", 8000)))[0] == 200
    remembered = server.app._origin_policy._accepted_hosts
    assert 0 < len(remembered) <= 256
    assert (await call_raw(server, [(b"host", b"client-1.example")], ("127.0.0.1", 1)))[0] == 421
