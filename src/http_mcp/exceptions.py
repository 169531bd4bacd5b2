"""Exceptions a user of http-mcp raises or meets.

```
Exception
 ├── ToolError        raised by a tool: the call failed in a way the model should hear about.
 │                    Answered as a tool result with `isError: true` (or as the declared error
 │                    variant with `return_error_message=True`), never as a protocol error.
 ├── StoreError       a store (`http_mcp.stores`) failed an operation.
 │    └── StoreUnavailableError
 │                    the store could not be reached, or did not answer within its `timeout`.
 │                    A write may or may not have taken effect; retrying later may succeed.
 └── TypeError / ValueError
                      raised by `Tool`, `Prompt` and `MCPServer` for a declaration mistake
                      (a field of the wrong type, two tools with one name), with how to fix it.
```

Protocol errors (bad JSON, unknown method, invalid params) are answered as JSON-RPC errors by
the server and never reach user code.
"""

from __future__ import annotations

__all__ = ["StoreError", "StoreUnavailableError", "ToolError"]


class ToolError(Exception):
    """Raise inside a tool to tell the model what went wrong.

    The message is sent to the client as it is, so write it for the model: what failed and what
    to do instead. Any other exception is answered with a generic message and logged.

    Example:
        ```python
        if vulnerability is None:
            raise ToolError(f"no vulnerability with id {vulnerability_id}; list them first")
        ```
    """


class StoreError(Exception):
    """A store failed an operation for a reason other than being unreachable.

    The message names the store and what failed; it never carries credentials.
    """


class StoreUnavailableError(StoreError):
    """The store could not be reached, or did not answer within its `timeout`.

    Raised by every `Store` operation instead of hanging; the store reconnects by itself, so a
    later call succeeds once it is back. A request that needs the store is answered with a
    clear error while it is away, and requests that do not need it are served as usual.
    """
