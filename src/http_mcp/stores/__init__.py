"""Stores: where what must outlive a request lives (tasks, change notifications, stream logs).

```python
from http_mcp.stores import MemoryStore, RedisStore, Store, store_from_url

MCPServer(..., store=MemoryStore())                             # the default: one process
MCPServer(..., store=RedisStore("redis://redis.internal:6379/0"))  # shared by replicas
MCPServer(..., store=store_from_url(os.environ["HTTP_MCP_STORE"]))
```

`RedisStore` needs the `redis` extra (`pip install 'http-mcp[redis]'`); importing it is what
loads the Redis client, so a server on the in-process store never does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from http_mcp import _public
from http_mcp.stores._base import Store, Subscription, Updated
from http_mcp.stores._memory import MemoryStore

if TYPE_CHECKING:
    from http_mcp.stores._redis import RedisStore

__all__ = ["MemoryStore", "RedisStore", "Store", "Subscription", "Updated", "store_from_url"]

_public.publish(__name__, globals(), __all__)

_MISSING_EXTRA = "RedisStore needs the redis extra: pip install 'http-mcp[redis]'"
_OPTIONS = ("prefix", "timeout")


def __getattr__(name: str) -> Any:
    if name == "RedisStore":
        return _redis_store_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def store_from_url(url: str) -> Store:
    """The store a URL names: `memory://`, or `redis://`/`rediss://`/`unix://` for Redis.

    A Redis URL may end with `?prefix=myapp:` (put before every key; default `http-mcp:`)
    and `timeout=2.5` (seconds; default 3).

    Example:
        ```python
        store_from_url("redis://:secret@redis.internal:6379/0?prefix=vulns:&timeout=2")
        ```

    Raises:
        ValueError: the URL names no store, or carries an unknown or invalid option.
        ImportError: a Redis URL without the `redis` extra installed.
    """
    parts = urlsplit(url)
    if parts.scheme == "memory":
        if url.rstrip("/") not in ("memory:", "memory:/"):
            raise ValueError(f"the in-process store URL is just memory://, not {url!r}")
        return MemoryStore()
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"{_shown(url)!r} is not a store URL: use memory:// or redis://host:port/db"
        )
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"unknown store URL option {unknown[0]!r}; known: prefix, timeout")
    settings: dict[str, Any] = {}
    if "prefix" in options:
        settings["prefix"] = options["prefix"]
    if "timeout" in options:
        try:
            settings["timeout"] = float(options["timeout"])
        except ValueError:
            raise ValueError(
                f"the store URL's timeout must be seconds, like 2.5, not {options['timeout']!r}"
            ) from None
    store: Store = _redis_store_class()(urlunsplit(parts._replace(query="")), **settings)
    return store


def _redis_store_class() -> type[RedisStore]:
    try:
        module = importlib.import_module("http_mcp.stores._redis")
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.partition(".")[0] == "redis":
            raise ImportError(_MISSING_EXTRA) from None
        raise
    store_class: type[RedisStore] = module.RedisStore
    _public.publish(__name__, {"RedisStore": store_class}, ["RedisStore"])
    return store_class


def _shown(url: str) -> str:
    """`url` without credentials, to show in a message."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
