import importlib
import importlib.metadata
import inspect
from typing import Any

import pytest

import http_mcp
import http_mcp.exceptions
import http_mcp.fastapi
import http_mcp.jsonrpc
import http_mcp.middleware
import http_mcp.server
import http_mcp.stores
import http_mcp.testing
import http_mcp.transports
import http_mcp.types


def _public_names(module: object) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, type(http_mcp))
    }


def test_the_version_is_the_installed_distributions() -> None:
    assert http_mcp.__version__ == importlib.metadata.version("http-mcp")


def test_package_exports_the_server_and_version() -> None:
    assert http_mcp.__all__ == ["MCPServer", "__version__"]
    assert http_mcp.MCPServer is http_mcp.server.MCPServer
    assert isinstance(http_mcp.__version__, str)


def test_types_all_matches_the_public_names_of_the_module() -> None:
    assert sorted(http_mcp.types.__all__) == sorted(_public_names(http_mcp.types))
    aliases = {"Completer", "CompletionContext", "ContentBlock", "InputRequest", "LogLevel"}
    for name in set(http_mcp.types.__all__) - aliases:
        assert getattr(http_mcp.types, name).__module__.startswith("http_mcp.")


def test_types_exports_the_contract_names() -> None:
    contract = {"Arguments", "Tool", "Prompt", "NoArguments", "PromptMessage", "TextContent"}
    assert contract <= set(http_mcp.types.__all__)


def test_exceptions_exports_tool_error_and_the_store_errors() -> None:
    assert http_mcp.exceptions.__all__ == ["StoreError", "StoreUnavailableError", "ToolError"]
    assert issubclass(http_mcp.exceptions.ToolError, Exception)
    assert issubclass(http_mcp.exceptions.StoreUnavailableError, http_mcp.exceptions.StoreError)


def test_stores_all_matches_the_public_names_of_the_package() -> None:
    public = {
        name
        for name in _public_names(http_mcp.stores)
        if name not in {"annotations", "importlib", "TYPE_CHECKING", "Any"}
        and name not in {"parse_qsl", "urlsplit", "urlunsplit"}
    }
    # RedisStore is loaded on first access, so that the Redis client is imported only then.
    assert sorted(http_mcp.stores.__all__) == sorted(public | {"RedisStore"})
    for name in http_mcp.stores.__all__:
        assert getattr(http_mcp.stores, name).__module__.startswith("http_mcp.stores")


def test_server_module_exports_only_the_server() -> None:
    assert http_mcp.server.__all__ == ["MCPServer"]


def test_jsonrpc_all_matches_the_public_names_of_the_module() -> None:
    public = {
        name
        for name in _public_names(http_mcp.jsonrpc)
        if name not in {"annotations", "Any", "Final", "dataclass", "field"}
        and name not in {"from_json", "to_json"}
    }
    assert sorted(http_mcp.jsonrpc.__all__) == sorted(public)


def test_jsonrpc_exports_what_a_transport_needs_and_no_more() -> None:
    assert set(http_mcp.jsonrpc.__all__) == {
        *(name for name in http_mcp.jsonrpc.__all__ if name.isupper()),
        "JSONRPCError",
        "Message",
        "Notification",
        "Request",
        "RequestId",
        "Response",
        "error_bytes",
        "notification_bytes",
        "parse",
        "request_bytes",
    }
    for name in ("JSONRPCError", "Notification", "Request", "Response"):
        assert getattr(http_mcp.jsonrpc, name).__module__ == "http_mcp.jsonrpc"


def test_testing_all_matches_the_public_names_of_the_module() -> None:
    public = {
        name
        for name, value in vars(http_mcp.testing).items()
        if not name.startswith("_")
        and not isinstance(value, type(http_mcp))
        and getattr(value, "__module__", "").startswith("http_mcp.")
    }
    assert sorted(http_mcp.testing.__all__) == sorted(public - {"MCPServer"})
    assert {"TestClient", "AsyncTestClient", "MCPError"} <= set(http_mcp.testing.__all__)


def test_fastapi_exports_the_router_and_the_dependency_type() -> None:
    assert http_mcp.fastapi.__all__ == ["ScopesDependency", "add_mcp_route"]
    assert http_mcp.fastapi.add_mcp_route.__module__ == "http_mcp.fastapi"


def test_transports_export_the_seam_between_a_transport_and_the_server() -> None:
    assert sorted(http_mcp.transports.__all__) == sorted(
        name for name in _public_names(http_mcp.transports) if name != "annotations"
    )
    assert set(http_mcp.transports.__all__) == {
        "Ask",
        "CancelFlag",
        "HTTPApp",
        "Notify",
        "Reply",
        "RequestContext",
    }
    for name in set(http_mcp.transports.__all__) - {"Ask", "Notify"}:
        assert getattr(http_mcp.transports, name).__module__ == "http_mcp.transports"
    assert http_mcp.server.MCPServer.handle.__doc__


PUBLIC_MODULES = [
    "http_mcp",
    "http_mcp.auth",
    "http_mcp.exceptions",
    "http_mcp.jsonrpc",
    "http_mcp.middleware",
    "http_mcp.server",
    "http_mcp.stores",
    "http_mcp.testing",
    "http_mcp.transports",
    "http_mcp.types",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_classes_and_functions_report_a_public_module(name: str) -> None:
    module = importlib.import_module(name)
    for exported in module.__all__:
        value = getattr(module, exported)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ in PUBLIC_MODULES, (exported, value.__module__)


def test_the_server_and_its_app_have_readable_reprs() -> None:
    server = http_mcp.MCPServer(name="vulns", version="1.2.3")
    assert repr(server) == "MCPServer(name='vulns', version='1.2.3')"
    assert repr(server.app) == "<HTTPApp serving MCPServer(name='vulns', version='1.2.3')>"
    assert server.app.server is server


def _undocumented(module: Any) -> list[str]:
    missing = []
    for exported in module.__all__:
        value = getattr(module, exported)
        if inspect.isfunction(value) and not value.__doc__:
            missing.append(exported)
        if not inspect.isclass(value):
            continue
        if not vars(value).get("__doc__"):
            missing.append(exported)
        for name, member in list(vars(value).items()):
            function = member.fget if isinstance(member, property) else member
            function = getattr(function, "__func__", function)
            public = not name.startswith("_") and inspect.isfunction(function)
            # An override documented where it is declared (a base class) counts.
            if public and not inspect.getdoc(getattr(value, name)):
                missing.append(f"{exported}.{name}")
    return missing


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_class_function_and_method_has_a_docstring(name: str) -> None:
    # ruff's pydocstyle rules see the classes of private modules as private; this sees them
    # where users import them.
    assert _undocumented(importlib.import_module(name)) == []


def test_middleware_exports_the_view_and_the_two_signatures() -> None:
    assert http_mcp.middleware.__all__ == ["CallNext", "MCPCall", "Middleware"]
    assert http_mcp.middleware.MCPCall.__module__ == "http_mcp.middleware"
