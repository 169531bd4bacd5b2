"""Opaque cursors over a list that is the same on every replica.

A cursor is the offset of the next page, base64url-encoded with a version tag. The list is
built once at registration and ordered by declaration, so an offset means the same thing on
any replica that runs the same code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from http_mcp.jsonrpc import INVALID_PARAMS, JSONRPCError

T = TypeVar("T")
_PREFIX = "o1:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: Any, length: int) -> int:
    if not isinstance(cursor, str) or not 0 < len(cursor) <= 64:
        raise JSONRPCError(INVALID_PARAMS, "Invalid cursor")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise JSONRPCError(INVALID_PARAMS, "Invalid cursor") from None
    digits = text.removeprefix(_PREFIX)
    if digits == text or not digits.isdigit() or not 0 < int(digits) < length:
        raise JSONRPCError(INVALID_PARAMS, "Invalid cursor")
    return int(digits)


def page(items: Sequence[T], start: int, size: int | None) -> tuple[Sequence[T], str | None]:
    """The page of `items` that starts at offset `start`, and the cursor of the next one."""
    if size is None:
        return items[start:], None
    end = start + size
    return items[start:end], encode_cursor(end) if end < len(items) else None
