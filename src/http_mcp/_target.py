"""What `http-mcp run` serves: `MODULE:ATTRIBUTE` imported and checked before anything starts.

A target is an `MCPServer`, or an ASGI application (an async callable taking `scope, receive,
send`, which is how uvicorn recognises one). With `--factory` the attribute is a function
called without arguments that returns one of those. Anything else is refused with one line
that says what was found and what would work.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import traceback
from collections.abc import Iterator
from typing import Any, Final, TypeGuard

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from http_mcp.server import MCPServer
from http_mcp.stores import store_from_url

ENV_STORE: Final = "HTTP_MCP_STORE"
_EXPECTED: Final = (
    "not an MCPServer or an ASGI application (an async callable taking scope, receive, send)"
)


class UsageError(Exception):
    """The command line asks for something that cannot be served; its text is one line."""


def load_target(target: str, *, factory: bool = False) -> MCPServer | ASGIApp:
    """Import `module:attribute` (calling it first with `factory`) and check what it is."""
    value: object = _imported(target)
    if factory:
        value = _called(target, value)
        subject = f"the factory {target!r} returned"
    else:
        subject = f"{target!r} is"
    if isinstance(value, MCPServer):
        return value
    if is_asgi_app(value):
        return value
    raise UsageError(f"{subject} {_described(value)}, {_EXPECTED}{_hint(value, factory)}")


def is_asgi_app(value: object) -> TypeGuard[ASGIApp]:
    """Whether uvicorn would run `value` as an ASGI 3 application."""
    if isinstance(value, type) or not callable(value):
        return False
    call = value if inspect.isroutine(value) else value.__call__
    if not (inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(call)):
        return False
    try:
        inspect.signature(value).bind(None, None, None)
    except TypeError:
        return False
    except ValueError:  # no signature to read (a C callable): uvicorn would try it, so do we
        return True
    return True


def _imported(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"{target!r} is not MODULE:ATTRIBUTE, e.g. examples.vulns:server")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and f"{module_name}.".startswith(f"{exc.name}."):
            raise UsageError(f"cannot import module {module_name!r}: no such module") from None
        raise UsageError(_failure(f"importing module {module_name!r}")) from None
    except Exception:
        raise UsageError(_failure(f"importing module {module_name!r}")) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise UsageError(f"module {module_name!r} has no attribute {attribute!r}")
        value = getattr(value, part)
    return value


def _called(target: str, factory: Any) -> Any:
    if isinstance(factory, MCPServer):
        raise UsageError(f"--factory: {target!r} is an MCPServer already; leave out --factory")
    if not callable(factory):
        raise UsageError(
            f"--factory: {target!r} is {_described(factory)}, not a function that returns "
            "an MCPServer or an ASGI application"
        )
    if inspect.iscoroutinefunction(factory):
        raise UsageError(
            f"--factory: {target!r} is an async function; the factory must be a plain "
            "function that returns the MCPServer or the application"
        )
    try:
        inspect.signature(factory).bind()
    except TypeError:
        raise UsageError(
            f"--factory: {target!r} takes {_parameters(factory)}; the factory is called "
            "without arguments"
        ) from None
    except ValueError:  # no signature to read: calling it tells
        pass
    try:
        return factory()
    except Exception:
        raise UsageError(_failure(f"calling the factory {target!r}")) from None


def _failure(action: str) -> str:
    traceback.print_exc(file=sys.stderr)
    return f"{action} failed (traceback above)"


def _described(value: object) -> str:
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if inspect.isroutine(value):
        kind = "an async function" if inspect.iscoroutinefunction(value) else "a function"
        return f"{kind} taking {_parameters(value)}"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"


def _parameters(value: Any) -> str:
    try:
        parameters = inspect.signature(value).parameters
    except ValueError:
        return "unknown parameters"
    return f"({', '.join(parameters)})"


def _hint(value: object, factory: bool) -> str:
    if isinstance(value, type):
        return "; pass an instance, or the class with --factory"
    if not factory and callable(value):
        return "; if it builds one when called, add --factory"
    return ""


def use_store(target: MCPServer | ASGIApp, option: str | None) -> None:
    """Give the served MCPServer the store `--store` (else `$HTTP_MCP_STORE`) names, if any."""
    url = option or os.environ.get(ENV_STORE)
    found = server_of(target)
    if not url or found is None:
        return
    try:
        found.store = store_from_url(url)
    except (ValueError, ImportError) as exc:
        raise UsageError(f"{'--store' if option else ENV_STORE}: {exc}") from None


def server_of(target: MCPServer | ASGIApp) -> MCPServer | None:
    """The MCPServer the target is or mounts."""
    if isinstance(target, MCPServer):
        return target
    found = find_server(target)
    return None if found is None else found[0]


def as_asgi(target: MCPServer | ASGIApp, path: str) -> ASGIApp:
    """The ASGI application to serve: an MCPServer gets one route at `path`, and its lifespan."""
    if isinstance(target, MCPServer):
        route = Route(path, target.app)  # every method: the server answers OPTIONS and 405s
        return Starlette(routes=[route], lifespan=target.lifespan)
    return target


def find_server(app: Any) -> tuple[MCPServer, str] | None:
    """The first MCPServer mounted in a Starlette or FastAPI app, and the path it answers."""
    for route, path in _routes(app, ""):
        endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
        # `server.app`, or the endpoint http_mcp.fastapi adds: both know their server.
        server = getattr(endpoint, "server", None)
        if isinstance(server, MCPServer):
            return server, path
    return None


def _routes(app: Any, prefix: str) -> Iterator[tuple[BaseRoute, str]]:
    for route in getattr(app, "routes", ()):
        path = prefix + str(getattr(route, "path", ""))
        yield route, path
        if isinstance(route, Mount):
            yield from _routes(route.app, path)
