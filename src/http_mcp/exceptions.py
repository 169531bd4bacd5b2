"""Exceptions a user of http-mcp raises or meets.

```
Exception
 ├── ToolError        raised by a tool: the call failed in a way the model should hear about.
 │                    Answered as a tool result with `isError: true` (or as the declared error
 │                    variant with `return_error_message=True`), never as a protocol error.
 └── TypeError / ValueError
                      raised by `Tool`, `Prompt` and `MCPServer` for a declaration mistake
                      (a field of the wrong type, two tools with one name), with how to fix it.
```

Protocol errors (bad JSON, unknown method, invalid params) are answered as JSON-RPC errors by
the server and never reach user code.
"""

from __future__ import annotations

__all__ = ["ToolError"]


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
