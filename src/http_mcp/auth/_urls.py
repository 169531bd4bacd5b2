"""The URLs a protected resource is configured with, checked once at construction."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

WELL_KNOWN: Final = "/.well-known/oauth-protected-resource"
_LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def check_url(url: str, name: str) -> None:
    """Raise `ValueError` unless `url` is absolute https (http only on loopback), no fragment."""
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    if not parts.netloc or not secure:
        raise ValueError(
            f"{name} must be an absolute https URL (http only for localhost), got {url!r}"
        )
    if parts.fragment or url.endswith("#"):
        raise ValueError(f"{name} must not have a fragment, got {url!r}")


def metadata_url(resource: str) -> str:
    """Where RFC 9728 puts the metadata of `resource`: the well-known path before its path."""
    parts = urlsplit(resource)
    return f"{parts.scheme}://{parts.netloc}{WELL_KNOWN}{resource_path(resource)}"


def resource_path(resource: str) -> str:
    path = urlsplit(resource).path
    return "" if path == "/" else path
