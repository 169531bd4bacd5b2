"""JWT access tokens: signature, key rotation, issuer, audience, lifetime and algorithm."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from http_mcp.auth import JWTVerifier, protected_app
from tests.auth_support import (
    ISSUER,
    METADATA_URL,
    RESOURCE,
    Deferred,
    KeyServer,
    Recorder,
    challenge,
    claims,
    ec_key,
    hmac_signed,
    hosted,
    jwks,
    mint,
    rsa_key,
    unsigned,
)
from tests.conftest import Wire, wire_for

pytestmark = pytest.mark.anyio

RS = rsa_key("rs-1")
ES = ec_key("es-1")
INTRUDER = rsa_key("intruder")
Protect = Callable[..., tuple[Wire, Recorder]]


@pytest.fixture(scope="module")
def host() -> Iterator[tuple[Deferred, int]]:
    with hosted() as deferred_and_port:
        yield deferred_and_port


@pytest.fixture
def keys(host: tuple[Deferred, int]) -> KeyServer:
    deferred, port = host
    server = KeyServer(jwks(RS, ES))
    deferred.app = server.app
    server.url = f"http://127.0.0.1:{port}/jwks"
    return server


@pytest.fixture
async def protect(keys: KeyServer) -> AsyncIterator[Protect]:
    """Factory: the recording server behind a `JWTVerifier` reading `keys`."""
    opened: list[Wire] = []

    def make(**options: Any) -> tuple[Wire, Recorder]:
        recorder = Recorder()
        verifier = JWTVerifier(issuer=ISSUER, audience=RESOURCE, jwks_url=keys.url, **options)
        app = protected_app(
            recorder.server(),
            verifier=verifier,
            resource=RESOURCE,
            authorization_servers=[ISSUER],
        )
        opened.append(wire_for(app))
        return opened[-1], recorder

    yield make
    for wire in opened:
        await wire.client.aclose()


async def call(wire: Wire, token: str, tool: str = "read_tool") -> httpx.Response:
    params = {"name": tool, "arguments": {}}
    return await wire.legacy("tools/call", params, authorization=f"Bearer {token}")


def assert_refused(response: httpx.Response, recorder: Recorder) -> None:
    assert response.status_code == 401, response.text
    assert challenge(response)["error"] == "invalid_token"
    assert challenge(response)["resource_metadata"] == METADATA_URL
    assert response.json()["error"]["data"] == {"error": "invalid_token"}
    assert recorder.calls == []


def _tampered() -> str:
    header, _, signature = mint(RS).split(".")
    forged = mint(INTRUDER, scope="mcp:read admin").split(".")[1]
    return f"{header}.{forged}.{signature}"


def _in(seconds: int) -> int:
    return int(time.time()) + seconds


REFUSED: dict[str, Callable[[], str]] = {
    "expired": lambda: mint(RS, exp=_in(-3600)),
    "expired-beyond-the-leeway": lambda: mint(RS, exp=_in(-31)),
    "not-yet-valid": lambda: mint(RS, nbf=_in(3600)),
    "wrong-issuer": lambda: mint(RS, iss="https://evil.example.com"),
    "wrong-audience": lambda: mint(RS, aud="https://other.example.com/mcp"),
    "audience-of-a-neighbour-path": lambda: mint(RS, aud=RESOURCE + "2"),
    "audience-list-without-this-server": lambda: mint(RS, aud=["https://a.example", "x"]),
    "no-audience": lambda: mint(RS, aud=None),
    "no-expiry": lambda: mint(RS, exp=None),
    "no-issuer": lambda: mint(RS, iss=None),
    "alg-none": lambda: unsigned(RS.kid),
    "hs256-signed-with-the-public-key": lambda: hmac_signed(RS.public_pem, RS.kid),
    "rs256-naming-the-ec-key": lambda: mint(RS, kid=ES.kid),
    "es256-naming-the-rsa-key": lambda: mint(ES, kid=RS.kid),
    "unknown-kid": lambda: mint(INTRUDER),
    "signed-by-another-key-under-a-known-kid": lambda: mint(INTRUDER, kid=RS.kid),
    "tampered-payload": _tampered,
    "garbage": lambda: "not-a-jwt",
    "three-garbage-segments": lambda: "aaaa.bbbb.cccc",
    "malformed-scope": lambda: mint(RS, scope=["mcp:read", 7]),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_refused_token_gets_401_invalid_token_and_never_reaches_a_tool(
    protect: Protect, case: str
) -> None:
    wire, recorder = protect()
    assert_refused(await call(wire, REFUSED[case]()), recorder)
    assert_refused(await call(wire, REFUSED[case](), tool="public_tool"), recorder)


ACCEPTED: dict[str, Callable[[], str]] = {
    "rs256": lambda: mint(RS),
    "es256": lambda: mint(ES),
    "ps256-with-an-rsa-key": lambda: mint(RS, alg="PS256"),
    "expired-within-the-leeway": lambda: mint(RS, exp=_in(-5)),
    "not-before-within-the-leeway": lambda: mint(RS, nbf=_in(5)),
    "audience-in-a-list": lambda: mint(RS, aud=["https://other.example", RESOURCE]),
    "audience-with-an-uppercase-host": lambda: mint(RS, aud="HTTP://127.0.0.1/mcp"),
    "no-kid-and-one-fitting-key": lambda: mint(ES, kid=None),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
async def test_a_valid_token_reaches_the_tool(protect: Protect, case: str) -> None:
    wire, recorder = protect()
    response = await call(wire, ACCEPTED[case]())
    assert response.status_code == 200, response.text
    assert "error" not in response.json()
    assert recorder.calls == ["read_tool"]


async def test_a_token_without_kid_is_refused_when_several_keys_fit(
    protect: Protect, keys: KeyServer
) -> None:
    keys.document = jwks(RS, rsa_key("rs-3"))
    wire, recorder = protect()
    assert_refused(await call(wire, mint(RS, kid=None)), recorder)


async def test_an_algorithm_outside_the_allowed_list_is_refused(protect: Protect) -> None:
    wire, recorder = protect(algorithms=["ES256"])
    assert_refused(await call(wire, mint(RS)), recorder)
    assert (await call(wire, mint(ES))).status_code == 200


@pytest.mark.parametrize(
    ("claim", "value"),
    [("scope", "mcp:read admin"), ("scp", ["mcp:read", "admin"]), ("scp", "mcp:read admin")],
)
async def test_scopes_come_from_scope_or_scp(protect: Protect, claim: str, value: Any) -> None:
    wire, _ = protect()
    token = mint(RS, **{"scope": None, claim: value})
    response = await wire.legacy("tools/list", authorization=f"Bearer {token}")
    names = [tool["name"] for tool in response.json()["result"]["tools"]]
    assert names == ["public_tool", "read_tool", "admin_tool"]


async def test_a_token_without_scopes_sees_only_unscoped_tools(protect: Protect) -> None:
    wire, _ = protect()
    token = mint(RS, scope=None)
    response = await wire.legacy("tools/list", authorization=f"Bearer {token}")
    assert [tool["name"] for tool in response.json()["result"]["tools"]] == ["public_tool"]


async def test_rotated_keys_are_fetched_when_a_token_names_a_new_kid(
    protect: Protect, keys: KeyServer
) -> None:
    wire, recorder = protect()
    assert (await call(wire, mint(RS))).status_code == 200
    assert keys.fetches == 1
    rotated = rsa_key("rs-2")
    keys.document = jwks(rotated)
    assert (await call(wire, mint(rotated))).status_code == 200
    assert keys.fetches == 2
    assert (await call(wire, mint(rotated))).status_code == 200
    assert keys.fetches == 2
    assert recorder.calls == ["read_tool"] * 3


async def test_unknown_kids_refetch_the_keys_at_most_once_per_interval(
    protect: Protect, keys: KeyServer
) -> None:
    wire, recorder = protect()
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        assert_refused(await call(wire, mint(INTRUDER, kid=kid)), recorder)
    assert keys.fetches == 2  # the first fetch, then one refetch for an unknown kid


async def test_without_an_interval_every_unknown_kid_refetches(
    protect: Protect, keys: KeyServer
) -> None:
    wire, recorder = protect(min_refetch_interval=0)
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        assert_refused(await call(wire, mint(INTRUDER, kid=kid)), recorder)
    assert keys.fetches == 3  # the first request's kid was looked up in the first fetch


async def test_a_key_removed_from_the_set_stops_verifying_once_the_cache_expires(
    protect: Protect, keys: KeyServer
) -> None:
    wire, recorder = protect(cache_ttl=0)
    assert (await call(wire, mint(RS))).status_code == 200
    keys.document = jwks(ES)
    recorder.calls.clear()
    assert_refused(await call(wire, mint(RS)), recorder)


async def test_a_malformed_key_is_skipped_for_a_good_one_with_the_same_kid(
    protect: Protect, keys: KeyServer
) -> None:
    broken = {"kty": "RSA", "kid": RS.kid, "n": "not-base64!", "e": "AQAB"}
    keys.document = {"keys": [broken, {"kty": "oct", "kid": RS.kid, "k": "c2VjcmV0"}, RS.jwk]}
    wire, recorder = protect()
    assert (await call(wire, mint(RS))).status_code == 200
    assert recorder.calls == ["read_tool"]


async def test_keys_that_are_not_for_signatures_are_ignored(
    protect: Protect, keys: KeyServer
) -> None:
    keys.document = {
        "keys": [
            {**RS.jwk, "use": "enc"},
            {**ES.jwk, "key_ops": ["encrypt"]},
            {**ES.jwk, "alg": "ES384"},
        ]
    }
    wire, recorder = protect()
    assert_refused(await call(wire, mint(RS)), recorder)
    assert_refused(await call(wire, mint(ES)), recorder)


async def test_keys_are_fetched_with_the_given_http_client(keys: KeyServer) -> None:
    async with httpx.AsyncClient(headers={"x-client": "shared"}) as client:
        verifier = JWTVerifier(
            issuer=ISSUER, audience=RESOURCE, jwks_url=keys.url, http_client=client
        )
        assert (await verifier.verify(mint(ES))).subject == "alice"
    assert keys.fetches == 1


async def test_cached_keys_are_not_fetched_again(protect: Protect, keys: KeyServer) -> None:
    wire, _ = protect()
    for _ in range(3):
        assert (await call(wire, mint(RS))).status_code == 200
        assert (await call(wire, mint(ES))).status_code == 200
    assert keys.fetches == 1


async def test_concurrent_first_requests_fetch_the_keys_once(
    protect: Protect, keys: KeyServer
) -> None:
    wire, recorder = protect()
    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await call(wire, mint(RS))).status_code)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(one)
    assert statuses == [200] * 10
    assert recorder.calls == ["read_tool"] * 10
    assert keys.fetches == 1


async def test_unreachable_keys_answer_503_without_reaching_a_tool(
    protect: Protect, keys: KeyServer
) -> None:
    keys.status = 500
    wire, recorder = protect()
    response = await call(wire, mint(RS))
    assert response.status_code == 503
    assert "www-authenticate" not in response.headers
    assert response.json()["error"]["code"] == -32603
    assert recorder.calls == []
    assert (await call(wire, mint(RS))).status_code == 503
    assert keys.fetches == 1  # a failed fetch is not retried within the interval


async def test_a_failed_refresh_keeps_the_keys_already_held(
    protect: Protect, keys: KeyServer
) -> None:
    wire, _ = protect(cache_ttl=0)
    assert (await call(wire, mint(RS))).status_code == 200
    keys.status = 500
    assert (await call(wire, mint(RS))).status_code == 200
    assert (await call(wire, mint(RS))).status_code == 200
    assert keys.fetches == 2


async def test_a_jwks_that_is_not_a_key_set_answers_503(protect: Protect, keys: KeyServer) -> None:
    keys.document = {"not": "keys"}
    wire, recorder = protect()
    assert (await call(wire, mint(RS))).status_code == 503
    assert recorder.calls == []


async def test_keys_given_as_a_jwks_document_verify_without_fetching() -> None:
    recorder = Recorder()
    verifier = JWTVerifier(issuer=ISSUER, audience=RESOURCE, jwks=jwks(ES))
    app = protected_app(
        recorder.server(), verifier=verifier, resource=RESOURCE, authorization_servers=[ISSUER]
    )
    wire = wire_for(app)
    async with wire.client:
        assert (await call(wire, mint(ES))).status_code == 200
        assert_refused(await call(wire, mint(RS)), Recorder())
    assert recorder.calls == ["read_tool"]


async def test_the_verifier_returns_what_the_token_says() -> None:
    verifier = JWTVerifier(issuer=ISSUER, audience=RESOURCE, jwks=jwks(RS))
    access = await verifier.verify(mint(RS, scope="mcp:read admin", sub="bob"))
    assert access.scopes == {"mcp:read", "admin"}
    assert access.subject == "bob"
    assert access.client_id == "client-1"
    assert access.issuer == ISSUER
    assert access.expires_at == claims()["exp"]
    assert access.claims["aud"] == RESOURCE


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"algorithms": ["HS256"]}, "HS256", id="shared-secret"),
        pytest.param({"algorithms": ["none"]}, "none", id="none"),
        pytest.param({"algorithms": []}, "algorithms", id="no-algorithm"),
        pytest.param({"jwks_url": None, "jwks": None}, "exactly one", id="no-keys"),
        pytest.param({"jwks": {"keys": []}}, "exactly one", id="both"),
        pytest.param({"jwks_url": "http://keys.example.com/jwks"}, "https", id="plain-http"),
        pytest.param({"jwks_url": None, "jwks": {"k": 1}}, "keys", id="not-a-jwks"),
    ],
)
def test_a_misconfigured_verifier_is_refused_at_construction(
    options: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"jwks_url": "https://auth.example.com/jwks", **options}
    with pytest.raises(ValueError, match=message):
        JWTVerifier(issuer=ISSUER, audience=RESOURCE, **arguments)
