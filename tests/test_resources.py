"""Resources and resource templates: listing, reading, scopes and declaration mistakes."""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import BlobResourceContents as SDKBlob
from mcp.types import TextResourceContents as SDKText
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import from_json, to_json
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.types import (
    Arguments,
    BlobResourceContents,
    NoArguments,
    Resource,
    ResourceTemplate,
    TextResourceContents,
)
from tests.conftest import LEGACY, MODERN, Wire, send

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
INVALID_PARAMS_STATUS = {"modern": 400, "legacy": 200}
NOT_FOUND_CODE = {"modern": -32602, "legacy": -32002}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
SECRET = "connection string postgres://admin:hunter2@db"


def report() -> str:
    """The latest vulnerability report."""
    return "# Report\nAll clear."


def logo() -> bytes:
    """The project logo."""
    return PNG


def bundle() -> list[Any]:
    """Several contents at once."""
    return [
        "first part",
        b"\x00\x01\x02",
        TextResourceContents(uri="docs://bundle#notes", text="notes", mime_type="text/x-notes"),
        BlobResourceContents(uri="docs://bundle#raw", blob="AAE=", mime_type="application/x-raw"),
    ]


async def vault_index() -> str:
    """What the vault holds."""
    return "vault index"


def broken() -> str:
    raise RuntimeError(SECRET)


class AdvisoryParams(BaseModel):
    advisory_id: int = Field(ge=1)


def advisory(arguments: Arguments[AdvisoryParams]) -> str:
    """An advisory by number."""
    return to_json({"id": arguments.inputs.advisory_id, "source": "template"}).decode()


class NoteParams(BaseModel):
    folder: str
    name: str


async def note(arguments: Arguments[NoteParams]) -> str:
    """A note in a folder."""
    return f"note {arguments.inputs.name!r} in {arguments.inputs.folder!r}"


def pinned() -> str:
    return "the pinned note"


def private_note() -> str:
    return "only for admins"


class KeyParams(BaseModel):
    key: str


def vault_entry(arguments: Arguments[KeyParams]) -> str:
    return f"vault entry {arguments.inputs.key}"


REPORT = Resource(
    uri="docs://report", func=report, title="Latest report", mime_type="text/markdown"
)
LOGO = Resource(uri="images://logo.png", func=logo, name="logo", mime_type="image/png")
BUNDLE = Resource(uri="docs://bundle", func=bundle)
VAULT = Resource(uri="vault://index", func=vault_index, scopes=("admin",))
BROKEN = Resource(uri="docs://broken", func=broken)
ADVISORY = ResourceTemplate(
    uri_template="advisories://{advisory_id}",
    func=advisory,
    params=AdvisoryParams,
    mime_type="application/json",
    description="Advisories by number.",
)
NOTES = ResourceTemplate(uri_template="notes://{folder}/{name}", func=note, params=NoteParams)
PINNED = Resource(uri="notes://inbox/pinned", func=pinned)
PRIVATE_NOTE = Resource(uri="notes://inbox/private", func=private_note, scopes=("admin",))
VAULT_ENTRY = ResourceTemplate(
    uri_template="vault://entries/{key}", func=vault_entry, params=KeyParams, scopes=("admin",)
)


def make_server(**kwargs: Any) -> MCPServer:
    resources = (
        REPORT,
        LOGO,
        BUNDLE,
        VAULT,
        BROKEN,
        ADVISORY,
        NOTES,
        PINNED,
        PRIVATE_NOTE,
        VAULT_ENTRY,
    )
    return MCPServer(name="s", version="1", resources=resources, **kwargs)


async def result_of(
    wire: Wire, era: str, method: str, params: dict[str, Any] | None = None, **headers: str
) -> dict[str, Any]:
    response = await send(wire, era, method, params, **headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def read(wire: Wire, era: str, uri: str, **headers: str) -> list[dict[str, Any]]:
    result = await result_of(wire, era, "resources/read", {"uri": uri}, **headers)
    contents: list[dict[str, Any]] = result["contents"]
    return contents


async def read_error(wire: Wire, era: str, uri: Any, status: int, **headers: str) -> dict[str, Any]:
    response = await send(wire, era, "resources/read", {"uri": uri}, **headers)
    assert response.status_code == status, response.text
    body = response.json()
    assert "result" not in body
    error: dict[str, Any] = body["error"]
    return error


# -- listing ---------------------------------------------------------------------------------


@ERAS
async def test_resources_list_describes_each_fixed_resource_the_caller_may_see(
    wire_of: WireOf, era: str
) -> None:
    result = await result_of(wire_of(make_server()), era, "resources/list")
    listed = result["resources"]
    assert [r["uri"] for r in listed] == [
        "docs://report",
        "images://logo.png",
        "docs://bundle",
        "docs://broken",
        "notes://inbox/pinned",
    ]
    assert listed[0] == {
        "uri": "docs://report",
        "name": "report",
        "title": "Latest report",
        "description": "The latest vulnerability report.",
        "mimeType": "text/markdown",
    }
    assert listed[1] == {
        "uri": "images://logo.png",
        "name": "logo",
        "description": "The project logo.",
        "mimeType": "image/png",
    }
    assert listed[3] == {"uri": "docs://broken", "name": "broken"}


@ERAS
async def test_templates_list_describes_each_template_the_caller_may_see(
    wire_of: WireOf, era: str
) -> None:
    result = await result_of(wire_of(make_server()), era, "resources/templates/list")
    assert result["resourceTemplates"] == [
        {
            "uriTemplate": "advisories://{advisory_id}",
            "name": "advisory",
            "description": "Advisories by number.",
            "mimeType": "application/json",
        },
        {
            "uriTemplate": "notes://{folder}/{name}",
            "name": "note",
            "description": "A note in a folder.",
        },
    ]


@ERAS
async def test_scoped_resources_and_templates_are_listed_only_with_the_scope(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(make_server())
    resources = await result_of(wire, era, "resources/list", x_scopes="admin")
    uris = [r["uri"] for r in resources["resources"]]
    assert "vault://index" in uris
    assert "notes://inbox/private" in uris
    templates = await result_of(wire, era, "resources/templates/list", x_scopes="admin")
    assert "vault://entries/{key}" in [t["uriTemplate"] for t in templates["resourceTemplates"]]


async def test_lists_carry_cache_hints_at_2026_and_none_at_the_handshake_wire(
    wire_of: WireOf,
) -> None:
    public = MCPServer(name="s", version="1", resources=(REPORT, ADVISORY), list_ttl_ms=5_000)
    scoped = MCPServer(name="s", version="1", resources=(REPORT, VAULT, ADVISORY, VAULT_ENTRY))
    for method in ("resources/list", "resources/templates/list"):
        modern = await result_of(wire_of(public), "modern", method)
        assert modern["resultType"] == "complete"
        assert (modern["ttlMs"], modern["cacheScope"]) == (5_000, "public")
        assert modern["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "s"
        private = await result_of(wire_of(scoped), "modern", method)
        assert (private["ttlMs"], private["cacheScope"]) == (60_000, "private")
        legacy = await result_of(wire_of(public), "legacy", method)
        assert not {"ttlMs", "cacheScope", "resultType"} & set(legacy)


@ERAS
@pytest.mark.parametrize(
    ("method", "key"),
    [("resources/list", "resources"), ("resources/templates/list", "resourceTemplates")],
)
async def test_walking_the_cursors_of_a_resource_list_gives_every_item_once(
    wire_of: WireOf, era: str, method: str, key: str
) -> None:
    def text() -> str:
        return "x"

    def by_id(arguments: Arguments[KeyParams]) -> str:
        return arguments.inputs.key

    declared: list[Resource | ResourceTemplate] = []
    for number in range(5):
        declared.append(Resource(uri=f"r://{number}", func=text, name=f"r{number}"))
        declared.append(
            ResourceTemplate(
                uri_template=f"t{number}://{{key}}", func=by_id, params=KeyParams, name=f"t{number}"
            )
        )
    wire = wire_of(MCPServer(name="s", version="1", resources=declared, page_size=2))
    names: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        params = {} if cursor is None else {"cursor": cursor}
        result = await result_of(wire, era, method, params)
        pages += 1
        names.extend(item["name"] for item in result[key])
        assert len(result[key]) <= 2
        cursor = result.get("nextCursor")
        if cursor is None:
            break
        assert pages < 10
    prefix = "r" if key == "resources" else "t"
    assert names == [f"{prefix}{n}" for n in range(5)]
    assert pages == 3
    invalid = await send(wire, era, method, {"cursor": "not-a-cursor"})
    assert invalid.status_code == INVALID_PARAMS_STATUS[era]
    assert invalid.json()["error"]["code"] == -32602


# -- reading ---------------------------------------------------------------------------------


@ERAS
async def test_a_text_resource_is_read_with_its_uri_and_mime_type(
    wire_of: WireOf, era: str
) -> None:
    contents = await read(wire_of(make_server()), era, "docs://report")
    assert contents == [
        {"uri": "docs://report", "mimeType": "text/markdown", "text": "# Report\nAll clear."}
    ]


@ERAS
async def test_bytes_are_read_as_a_base64_blob(wire_of: WireOf, era: str) -> None:
    [content] = await read(wire_of(make_server()), era, "images://logo.png")
    assert set(content) == {"uri", "mimeType", "blob"}
    assert content["mimeType"] == "image/png"
    assert base64.b64decode(content["blob"]) == PNG


@ERAS
async def test_a_function_returning_several_contents_is_read_as_all_of_them(
    wire_of: WireOf, era: str
) -> None:
    contents = await read(wire_of(make_server()), era, "docs://bundle")
    assert contents == [
        {"uri": "docs://bundle", "text": "first part"},
        {"uri": "docs://bundle", "blob": "AAEC"},
        {"uri": "docs://bundle#notes", "text": "notes", "mimeType": "text/x-notes"},
        {"uri": "docs://bundle#raw", "blob": "AAE=", "mimeType": "application/x-raw"},
    ]


@ERAS
async def test_a_template_reads_the_validated_variables_of_the_uri(
    wire_of: WireOf, era: str
) -> None:
    contents = await read(wire_of(make_server()), era, "advisories://42")
    assert contents == [
        {
            "uri": "advisories://42",
            "mimeType": "application/json",
            "text": '{"id":42,"source":"template"}',
        }
    ]


@ERAS
async def test_template_variables_are_percent_decoded(wire_of: WireOf, era: str) -> None:
    uri = "notes://work%20stuff/caf%C3%A9%2Fmenu"
    [content] = await read(wire_of(make_server()), era, uri)
    assert content == {"uri": uri, "text": "note 'café/menu' in 'work stuff'"}


@ERAS
async def test_a_template_variable_matches_one_segment_only(wire_of: WireOf, era: str) -> None:
    wire = wire_of(make_server())
    for uri in ("notes://a/b/c", "notes://a/", "notes:///b", "advisories://1?x=2"):
        error = await read_error(wire, era, uri, INVALID_PARAMS_STATUS[era])
        assert error["code"] == NOT_FOUND_CODE[era]
        assert error["data"] == {"uri": uri}


@ERAS
async def test_a_variable_failing_validation_is_invalid_params_naming_the_field(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(make_server())
    error = await read_error(wire, era, "advisories://abc", INVALID_PARAMS_STATUS[era])
    assert error["code"] == -32602
    assert "advisory_id: must be a valid integer, got 'abc'" in error["message"]
    error = await read_error(wire, era, "advisories://0", INVALID_PARAMS_STATUS[era])
    assert error["code"] == -32602
    assert "advisory_id: must be greater than or equal to 1" in error["message"]


@ERAS
async def test_a_fixed_resource_wins_over_a_template_matching_the_same_uri(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(make_server())
    assert await read(wire, era, "notes://inbox/pinned") == [
        {"uri": "notes://inbox/pinned", "text": "the pinned note"}
    ]
    assert await read(wire, era, "notes://inbox/other") == [
        {"uri": "notes://inbox/other", "text": "note 'other' in 'inbox'"}
    ]


@ERAS
async def test_an_unknown_uri_is_not_found_with_the_code_of_the_era_and_the_uri(
    wire_of: WireOf, era: str
) -> None:
    uri = "test://nonexistent-resource-for-conformance-testing"
    error = await read_error(wire_of(make_server()), era, uri, INVALID_PARAMS_STATUS[era])
    assert error["code"] == NOT_FOUND_CODE[era]
    assert error["data"] == {"uri": uri}
    assert "Resource not found" in error["message"]


@ERAS
async def test_a_scoped_resource_is_unreadable_exactly_like_a_missing_one(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(make_server())
    status = INVALID_PARAMS_STATUS[era]
    for hidden, missing in (
        ("vault://index", "vault://indey"),
        ("vault://entries/k1", "vault://entriez/k1"),
    ):
        hidden_error = await read_error(wire, era, hidden, status)
        missing_error = await read_error(wire, era, missing, status)
        assert hidden_error["code"] == missing_error["code"] == NOT_FOUND_CODE[era]
        assert hidden_error["message"] == missing_error["message"].replace(missing, hidden)
        assert hidden_error["data"] == {"uri": hidden}
    assert await read(wire, era, "vault://index", x_scopes="admin") == [
        {"uri": "vault://index", "text": "vault index"}
    ]
    assert await read(wire, era, "vault://entries/k1", x_scopes="admin") == [
        {"uri": "vault://entries/k1", "text": "vault entry k1"}
    ]


@ERAS
async def test_a_hidden_fixed_resource_leaves_the_uri_to_a_matching_template(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(make_server())
    assert await read(wire, era, "notes://inbox/private") == [
        {"uri": "notes://inbox/private", "text": "note 'private' in 'inbox'"}
    ]
    assert await read(wire, era, "notes://inbox/private", x_scopes="admin") == [
        {"uri": "notes://inbox/private", "text": "only for admins"}
    ]


async def test_a_read_carries_cache_hints_at_2026_private_when_scoped(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    public = await result_of(wire, "modern", "resources/read", {"uri": "docs://report"})
    assert public["resultType"] == "complete"
    assert (public["ttlMs"], public["cacheScope"]) == (0, "public")
    scoped = await result_of(
        wire, "modern", "resources/read", {"uri": "vault://index"}, x_scopes="admin"
    )
    assert (scoped["ttlMs"], scoped["cacheScope"]) == (0, "private")
    legacy = await result_of(wire, "legacy", "resources/read", {"uri": "docs://report"})
    assert set(legacy) == {"contents"}


@ERAS
async def test_a_resource_function_that_raises_is_a_generic_internal_error_and_logged(
    wire_of: WireOf, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await send(
            wire_of(make_server()), era, "resources/read", {"uri": "docs://broken"}
        )
    assert response.status_code == 200
    error = response.json()["error"]
    assert error["code"] == -32603
    assert SECRET not in response.text
    [record] = [r for r in caplog.records if r.name == "http_mcp"]
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])


@ERAS
@pytest.mark.parametrize("returned", [[], (), 42, ["text", None], {"text": "x"}])
async def test_a_resource_function_returning_no_or_wrong_contents_is_an_internal_error(
    wire_of: WireOf, era: str, returned: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def wrong() -> Any:
        return returned

    server = MCPServer(name="s", version="1", resources=(Resource(uri="x://wrong", func=wrong),))
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await send(wire_of(server), era, "resources/read", {"uri": "x://wrong"})
    assert response.json()["error"]["code"] == -32603
    assert "result" not in response.json()
    assert [r for r in caplog.records if r.name == "http_mcp" and r.exc_info is not None]


@ERAS
@pytest.mark.parametrize("params", [{}, {"uri": None}])
async def test_a_read_without_a_uri_is_invalid_params(
    wire_of: WireOf, era: str, params: dict[str, Any]
) -> None:
    response = await send(wire_of(make_server()), era, "resources/read", params)
    assert response.status_code == INVALID_PARAMS_STATUS[era]
    assert response.json()["error"]["code"] == -32602


@pytest.mark.parametrize("uri", [7, ["docs://report"], {"uri": "docs://report"}])
async def test_a_uri_that_is_not_a_string_is_invalid_params(wire_of: WireOf, uri: Any) -> None:
    # At 2026 such a uri cannot equal the Mcp-Name header, so -32020 answers it there first.
    response = await wire_of(make_server()).legacy("resources/read", {"uri": uri})
    assert response.status_code == 200
    assert response.json()["error"]["code"] == -32602


async def test_a_resource_function_may_take_the_arguments_object(wire_of: WireOf) -> None:
    def where(arguments: Arguments[NoArguments]) -> str:
        return arguments.request.url.path

    server = MCPServer(name="s", version="1", resources=(Resource(uri="x://where", func=where),))
    assert await read(wire_of(server), "modern", "x://where") == [
        {"uri": "x://where", "text": "/mcp"}
    ]


# -- subscriptions ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["resources/subscribe", "resources/unsubscribe"])
async def test_subscribing_is_acknowledged_at_the_handshake_wire_and_unknown_at_2026(
    wire_of: WireOf, method: str
) -> None:
    wire = wire_of(make_server())
    legacy = await wire.legacy(method, {"uri": "docs://report"})
    assert legacy.status_code == 200
    assert legacy.json()["result"] == {}
    invalid = await wire.legacy(method, {"uri": 3})
    assert invalid.json()["error"]["code"] == -32602
    modern = await wire.modern(method, {"uri": "docs://report"})
    assert modern.status_code == 404
    assert modern.json()["error"]["code"] == -32601


# -- declaration mistakes ----------------------------------------------------------------------


def test_a_template_without_variables_must_be_a_resource() -> None:
    with pytest.raises(ValueError, match="declare a Resource"):
        ResourceTemplate(uri_template="docs://static", func=report)  # type: ignore[arg-type]


def test_a_resource_uri_with_a_variable_must_be_a_template() -> None:
    with pytest.raises(ValueError, match="declare a ResourceTemplate"):
        Resource(uri="docs://{name}", func=report)


def test_template_params_must_have_a_field_for_every_variable() -> None:
    with pytest.raises(TypeError, match="NoteParams has no field for title"):
        ResourceTemplate(
            uri_template="notes://{folder}/{name}/{title}", func=note, params=NoteParams
        )


def test_template_params_may_not_require_a_field_the_uri_cannot_give() -> None:
    with pytest.raises(TypeError, match="requires name"):
        ResourceTemplate(uri_template="notes://{folder}", func=note, params=NoteParams)


def test_template_completions_must_name_a_variable() -> None:
    with pytest.raises(ValueError, match="'title', not an argument"):
        ResourceTemplate(
            uri_template="notes://{folder}/{name}",
            func=note,
            params=NoteParams,
            completions={"title": lambda value, context: []},
        )


def test_a_template_may_not_name_a_variable_twice() -> None:
    with pytest.raises(ValueError, match="folder more than once"):
        ResourceTemplate(uri_template="notes://{folder}/{folder}", func=note, params=NoteParams)


def test_template_params_must_be_a_pydantic_model() -> None:
    with pytest.raises(TypeError, match="BaseModel subclass"):
        ResourceTemplate(uri_template="notes://{name}", func=note, params=dict)  # type: ignore[type-var, arg-type]


@pytest.mark.parametrize("bad", ["", 7, None])
def test_a_resource_needs_a_uri_string(bad: Any) -> None:
    with pytest.raises(TypeError, match="non-empty URI"):
        Resource(uri=bad, func=report)


def test_a_resource_func_must_be_callable_and_scopes_a_sequence() -> None:
    with pytest.raises(TypeError, match="func must be a function"):
        Resource(uri="docs://x", func="report")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="scopes must be a sequence of strings"):
        Resource(uri="docs://x", func=report, scopes="admin")


def test_a_resource_func_takes_one_arguments_parameter_or_none() -> None:
    def two(first: Any, second: Any) -> str:
        return "x"

    def nothing() -> str:
        return "x"

    with pytest.raises(TypeError, match="one positional Arguments parameter or none"):
        Resource(uri="docs://x", func=two)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="one positional Arguments parameter or none"):
        ResourceTemplate(uri_template="notes://{folder}/{name}", func=two, params=NoteParams)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes no parameter but declares inputs NoteParams"):
        ResourceTemplate(uri_template="notes://{folder}/{name}", func=nothing, params=NoteParams)  # type: ignore[arg-type]


def test_a_resource_func_without_a_name_needs_a_name() -> None:
    class Report:
        def __call__(self) -> str:
            return "report"

    with pytest.raises(TypeError, match="give the Resource a name="):
        Resource(uri="docs://x", func=Report())
    assert Resource(uri="docs://x", func=Report(), name="report").name == "report"


def test_two_resources_with_one_uri_are_refused() -> None:
    with pytest.raises(ValueError, match="'docs://report'"):
        MCPServer(
            name="s", version="1", resources=(REPORT, Resource(uri="docs://report", func=logo))
        )


def test_resources_must_be_resource_declarations() -> None:
    with pytest.raises(TypeError, match="Resource or ResourceTemplate"):
        MCPServer(name="s", version="1", resources=(report,))  # type: ignore[arg-type]


async def test_a_variable_may_be_a_field_alias_or_a_field_name_when_the_model_allows_it(
    wire_of: WireOf,
) -> None:
    class Aliased(BaseModel):
        package_name: str = Field(alias="package")

    class ByName(BaseModel):
        model_config = ConfigDict(validate_by_name=True)
        package_name: str = Field(alias="package")

    def package(arguments: Arguments[Any]) -> str:
        return str(arguments.inputs.package_name)

    with pytest.raises(TypeError, match="no field for package_name"):
        ResourceTemplate(uri_template="pkg://{package_name}", func=package, params=Aliased)
    by_alias = ResourceTemplate(
        uri_template="pkg://{package}", func=package, params=Aliased, name="by_alias"
    )
    by_name = ResourceTemplate(
        uri_template="named://{package_name}", func=package, params=ByName, name="by_name"
    )
    wire = wire_of(MCPServer(name="s", version="1", resources=(by_alias, by_name)))
    assert await read(wire, "modern", "pkg://requests") == [
        {"uri": "pkg://requests", "text": "requests"}
    ]
    assert await read(wire, "modern", "named://httpx") == [
        {"uri": "named://httpx", "text": "httpx"}
    ]


async def test_a_partial_is_named_and_described_after_the_function_it_wraps(
    wire_of: WireOf,
) -> None:
    def greeting(word: str) -> str:
        """A greeting."""
        return word

    resource = Resource(uri="x://hello", func=functools.partial(greeting, "hello"))
    wire = wire_of(MCPServer(name="s", version="1", resources=(resource,)))
    [listed] = (await result_of(wire, "modern", "resources/list"))["resources"]
    assert listed == {"uri": "x://hello", "name": "greeting", "description": "A greeting."}
    assert await read(wire, "modern", "x://hello") == [{"uri": "x://hello", "text": "hello"}]


async def test_template_variables_need_not_be_python_identifiers(wire_of: WireOf) -> None:
    class Numbered(BaseModel):
        first: str = Field(alias="1st")

    def first(arguments: Arguments[Numbered]) -> str:
        return arguments.inputs.first

    template = ResourceTemplate(uri_template="n://{1st}", func=first, params=Numbered)
    wire = wire_of(MCPServer(name="s", version="1", resources=(template,)))
    assert await read(wire, "modern", "n://one") == [{"uri": "n://one", "text": "one"}]


# -- the official SDK client -------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_sdk_client_lists_and_reads_text_binary_and_template_resources(
    live: Any, mode: str, version: str
) -> None:
    url = live(Starlette(routes=[Route("/mcp", make_server().app)])).url
    async with Client(url, mode=mode, read_timeout_seconds=10) as client:
        assert client.protocol_version == version
        resources = (await client.list_resources()).resources
        assert [str(r.uri) for r in resources][:2] == ["docs://report", "images://logo.png"]
        assert resources[0].mime_type == "text/markdown"
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == [
            "advisories://{advisory_id}",
            "notes://{folder}/{name}",
        ]
        [text] = (await client.read_resource("docs://report")).contents
        assert isinstance(text, SDKText)
        assert text.text == "# Report\nAll clear."
        [blob] = (await client.read_resource("images://logo.png")).contents
        assert isinstance(blob, SDKBlob)
        assert blob.mime_type == "image/png"
        assert base64.b64decode(blob.blob) == PNG
        [templated] = (await client.read_resource("advisories://7")).contents
        assert isinstance(templated, SDKText)
        assert from_json(templated.text) == {"id": 7, "source": "template"}
        with pytest.raises(MCPError) as missing:
            await client.read_resource("docs://missing")
        assert missing.value.error.code == (-32602 if version == MODERN else -32002)
