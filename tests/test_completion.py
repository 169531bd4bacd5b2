"""`completion/complete`: suggestions for prompt arguments and resource template variables."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import PromptReference, ResourceTemplateReference
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.types import Arguments, Prompt, PromptMessage, ResourceTemplate, TextContent
from tests.conftest import LEGACY, MODERN, Wire
from tests.conftest import send as send_at

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
INVALID_PARAMS_STATUS = {"modern": 400, "legacy": 200}
PACKAGES = ("django", "djangorestframework", "flask", "requests")
SECRET = "completion backend password"


class TriageArguments(BaseModel):
    package: str = Field(description="The affected package")
    severity: str = "high"
    note: str = ""


def triage(arguments: Arguments[TriageArguments]) -> list[PromptMessage]:
    """Triage a package."""
    return [PromptMessage(role="user", content=TextContent(text=arguments.inputs.package))]


def complete_package(value: str, context: Mapping[str, str]) -> list[str]:
    return [name for name in PACKAGES if name.startswith(value)]


async def complete_severity(value: str, context: Mapping[str, str]) -> list[str]:
    levels = ["critical", "high"] if context.get("package") == "django" else ["low", "medium"]
    return [level for level in levels if level.startswith(value)]


def failing(value: str, context: Mapping[str, str]) -> list[str]:
    raise RuntimeError(SECRET)


TRIAGE = Prompt(
    func=triage,
    arguments_type=TriageArguments,
    completions={"package": complete_package, "severity": complete_severity},
)
ADMIN_TRIAGE = Prompt(
    func=triage,
    arguments_type=TriageArguments,
    name="admin_triage",
    scopes=("admin",),
    completions={"package": complete_package},
)
BROKEN_TRIAGE = Prompt(
    func=triage,
    arguments_type=TriageArguments,
    name="broken_triage",
    completions={"package": failing},
)


class AdvisoryParams(BaseModel):
    ecosystem: str
    advisory_id: str


def advisory(arguments: Arguments[AdvisoryParams]) -> str:
    return arguments.inputs.advisory_id


def complete_ecosystem(value: str, context: Mapping[str, str]) -> list[str]:
    return [e for e in ("npm", "pypi", "pub") if e.startswith(value)]


async def complete_advisory_id(value: str, context: Mapping[str, str]) -> list[str]:
    return [f"{context.get('ecosystem', 'any')}-{n}" for n in range(250)]


ADVISORY = ResourceTemplate(
    uri_template="advisories://{ecosystem}/{advisory_id}",
    func=advisory,
    params=AdvisoryParams,
    completions={"ecosystem": complete_ecosystem, "advisory_id": complete_advisory_id},
)
VAULT = ResourceTemplate(
    uri_template="vault://{ecosystem}/{advisory_id}",
    func=advisory,
    params=AdvisoryParams,
    scopes=("admin",),
    completions={"ecosystem": complete_ecosystem},
)


def make_server() -> MCPServer:
    return MCPServer(
        name="s",
        version="1",
        prompts=(TRIAGE, ADMIN_TRIAGE, BROKEN_TRIAGE),
        resources=(ADVISORY, VAULT),
    )


def prompt_ref(name: str) -> dict[str, Any]:
    return {"type": "ref/prompt", "name": name}


def template_ref(uri: str) -> dict[str, Any]:
    return {"type": "ref/resource", "uri": uri}


async def send(wire: Wire, era: str, params: dict[str, Any], **headers: str) -> httpx.Response:
    return await send_at(wire, era, "completion/complete", params, **headers)


async def complete(
    wire: Wire,
    era: str,
    ref: dict[str, Any],
    name: str,
    value: str,
    context: dict[str, str] | None = None,
    **headers: str,
) -> dict[str, Any]:
    params: dict[str, Any] = {"ref": ref, "argument": {"name": name, "value": value}}
    if context is not None:
        params["context"] = {"arguments": context}
    response = await send(wire, era, params, **headers)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    if era == "modern":
        assert result["resultType"] == "complete"
    completion: dict[str, Any] = result["completion"]
    return completion


async def error_of(wire: Wire, era: str, params: dict[str, Any], **headers: str) -> int:
    response = await send(wire, era, params, **headers)
    assert response.status_code == INVALID_PARAMS_STATUS[era], response.text
    assert "result" not in response.json()
    code: int = response.json()["error"]["code"]
    return code


@ERAS
async def test_a_prompt_argument_is_completed_by_its_sync_completer(
    wire_of: WireOf, era: str
) -> None:
    completion = await complete(wire_of(make_server()), era, prompt_ref("triage"), "package", "dj")
    assert completion == {
        "values": ["django", "djangorestframework"],
        "total": 2,
        "hasMore": False,
    }


@ERAS
async def test_an_async_completer_is_given_the_arguments_already_chosen(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(make_server())
    chosen = await complete(wire, era, prompt_ref("triage"), "severity", "", {"package": "django"})
    assert chosen["values"] == ["critical", "high"]
    other = await complete(wire, era, prompt_ref("triage"), "severity", "m", {"package": "flask"})
    assert other["values"] == ["medium"]
    without = await complete(wire, era, prompt_ref("triage"), "severity", "")
    assert without["values"] == ["low", "medium"]


@ERAS
async def test_a_template_variable_is_completed_with_the_other_variables_as_context(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(make_server())
    ref = template_ref("advisories://{ecosystem}/{advisory_id}")
    ecosystems = await complete(wire, era, ref, "ecosystem", "p")
    assert ecosystems == {"values": ["pypi", "pub"], "total": 2, "hasMore": False}
    ids = await complete(wire, era, ref, "advisory_id", "", {"ecosystem": "npm"})
    assert ids["values"][:2] == ["npm-0", "npm-1"]


@ERAS
async def test_more_than_a_hundred_values_are_cut_with_has_more_and_the_total(
    wire_of: WireOf, era: str
) -> None:
    ref = template_ref("advisories://{ecosystem}/{advisory_id}")
    completion = await complete(wire_of(make_server()), era, ref, "advisory_id", "")
    assert len(completion["values"]) == 100
    assert completion["values"][-1] == "any-99"
    assert completion["total"] == 250
    assert completion["hasMore"] is True


@ERAS
async def test_an_argument_without_a_completer_gets_no_values(wire_of: WireOf, era: str) -> None:
    wire = wire_of(make_server())
    empty = {"values": [], "total": 0, "hasMore": False}
    assert await complete(wire, era, prompt_ref("triage"), "note", "x") == empty
    assert await complete(wire, era, prompt_ref("triage"), "no_such_argument", "x") == empty


@ERAS
@pytest.mark.parametrize(
    "ref",
    [
        prompt_ref("no_such_prompt"),
        template_ref("advisories://{ecosystem}"),
        template_ref("advisories://npm/GHSA-1"),
    ],
)
async def test_an_unknown_prompt_or_template_is_invalid_params(
    wire_of: WireOf, era: str, ref: dict[str, Any]
) -> None:
    params = {"ref": ref, "argument": {"name": "package", "value": ""}}
    assert await error_of(wire_of(make_server()), era, params) == -32602


@ERAS
@pytest.mark.parametrize(
    ("ref", "argument"),
    [
        (prompt_ref("admin_triage"), "package"),
        (template_ref("vault://{ecosystem}/{advisory_id}"), "ecosystem"),
    ],
)
async def test_a_hidden_prompt_or_template_is_answered_like_an_unknown_one(
    wire_of: WireOf, era: str, ref: dict[str, Any], argument: str
) -> None:
    wire = wire_of(make_server())
    params = {"ref": ref, "argument": {"name": argument, "value": "p"}}
    response = await send(wire, era, params)
    assert response.status_code == INVALID_PARAMS_STATUS[era]
    unknown_ref = {**ref, **({"name": "nope"} if "name" in ref else {"uri": "nope://{x}"})}
    unknown = await send(wire, era, {**params, "ref": unknown_ref})
    hidden_error, unknown_error = response.json()["error"], unknown.json()["error"]
    assert hidden_error["code"] == unknown_error["code"] == -32602
    hidden_name = ref.get("name") or ref["uri"]
    unknown_name = unknown_ref.get("name") or unknown_ref["uri"]
    assert hidden_error["message"] == unknown_error["message"].replace(unknown_name, hidden_name)
    allowed = await complete(wire, era, ref, argument, "", x_scopes="admin")
    assert allowed["values"]


@ERAS
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"argument": {"name": "package", "value": ""}},
        {"ref": prompt_ref("triage")},
        {"ref": "triage", "argument": {"name": "package", "value": ""}},
        {"ref": prompt_ref("triage"), "argument": ["package", ""]},
        {"ref": prompt_ref("triage"), "argument": {"value": ""}},
        {"ref": prompt_ref("triage"), "argument": {"name": 3, "value": ""}},
        {"ref": prompt_ref("triage"), "argument": {"name": "package", "value": 3}},
        {"ref": {"type": "ref/tool", "name": "x"}, "argument": {"name": "a", "value": ""}},
        {"ref": {"name": "triage"}, "argument": {"name": "package", "value": ""}},
    ],
)
async def test_badly_shaped_params_are_invalid_params(
    wire_of: WireOf, era: str, params: dict[str, Any]
) -> None:
    assert await error_of(wire_of(make_server()), era, params) == -32602


@ERAS
@pytest.mark.parametrize("context", [None, "package=django", {"arguments": "x"}])
async def test_a_context_that_is_not_an_object_of_arguments_is_no_context(
    wire_of: WireOf, era: str, context: Any
) -> None:
    params = {
        "ref": prompt_ref("triage"),
        "argument": {"name": "severity", "value": ""},
        "context": context,
    }
    response = await send(wire_of(make_server()), era, params)
    assert response.json()["result"]["completion"]["values"] == ["low", "medium"]


@ERAS
async def test_a_completer_that_raises_is_a_generic_internal_error_and_logged(
    wire_of: WireOf, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    params = {"ref": prompt_ref("broken_triage"), "argument": {"name": "package", "value": ""}}
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await send(wire_of(make_server()), era, params)
    assert response.json()["error"]["code"] == -32603
    assert SECRET not in response.text
    assert any(r.exc_info is not None for r in caplog.records if r.name == "http_mcp")


@ERAS
async def test_completion_values_are_sent_as_strings(wire_of: WireOf, era: str) -> None:
    class Numbered(BaseModel):
        count: int

    def numbered(arguments: Arguments[Numbered]) -> str:
        return str(arguments.inputs.count)

    def counts(value: str, context: Mapping[str, str]) -> list[int]:
        return [1, 2, 3]

    prompt = Prompt(func=numbered, arguments_type=Numbered, completions={"count": counts})  # type: ignore[dict-item]
    wire = wire_of(MCPServer(name="s", version="1", prompts=(prompt,)))
    completion = await complete(wire, era, prompt_ref("numbered"), "count", "")
    assert completion["values"] == ["1", "2", "3"]


@ERAS
async def test_a_completer_returning_one_string_is_a_server_error_not_its_characters(
    wire_of: WireOf, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    def one(value: str, context: Mapping[str, str]) -> str:
        return "django"

    prompt = Prompt(
        func=triage,
        arguments_type=TriageArguments,
        completions={"package": one},
    )
    wire = wire_of(MCPServer(name="s", version="1", prompts=(prompt,)))
    params = {"ref": prompt_ref("triage"), "argument": {"name": "package", "value": ""}}
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await send(wire, era, params)
    assert response.json()["error"]["code"] == -32603
    assert caplog.records


async def test_completions_are_advertised_at_both_eras(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    initialize = await wire.legacy(
        "initialize",
        {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    )
    assert initialize.json()["result"]["capabilities"]["completions"] == {}
    discover = await wire.modern("server/discover")
    assert discover.json()["result"]["capabilities"]["completions"] == {}


def test_prompt_completions_must_name_an_argument() -> None:
    with pytest.raises(ValueError, match="'pkg', not an argument"):
        Prompt(func=triage, arguments_type=TriageArguments, completions={"pkg": complete_package})


def test_a_completion_must_be_a_function() -> None:
    with pytest.raises(TypeError, match="must be a function"):
        Prompt(
            func=triage,
            arguments_type=TriageArguments,
            completions={"package": ["django"]},  # type: ignore[dict-item]
        )


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_sdk_client_completes_prompt_arguments_and_template_variables(
    live: Any, mode: str, version: str
) -> None:
    url = live(Starlette(routes=[Route("/mcp", make_server().app)])).url
    async with Client(url, mode=mode, read_timeout_seconds=10) as client:
        assert client.protocol_version == version
        packages = await client.complete(
            PromptReference(type="ref/prompt", name="triage"), {"name": "package", "value": "dj"}
        )
        assert packages.completion.values == ["django", "djangorestframework"]
        assert packages.completion.total == 2
        assert packages.completion.has_more is False
        severity = await client.complete(
            PromptReference(type="ref/prompt", name="triage"),
            {"name": "severity", "value": ""},
            context_arguments={"package": "django"},
        )
        assert severity.completion.values == ["critical", "high"]
        ids = await client.complete(
            ResourceTemplateReference(
                type="ref/resource", uri="advisories://{ecosystem}/{advisory_id}"
            ),
            {"name": "advisory_id", "value": ""},
            context_arguments={"ecosystem": "pypi"},
        )
        assert len(ids.completion.values) == 100
        assert ids.completion.values[0] == "pypi-0"
        assert (ids.completion.total, ids.completion.has_more) == (250, True)
        with pytest.raises(MCPError) as unknown:
            await client.complete(
                PromptReference(type="ref/prompt", name="admin_triage"),
                {"name": "package", "value": ""},
            )
        assert unknown.value.error.code == -32602
