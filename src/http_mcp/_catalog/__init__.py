"""The opt-in catalogue page: what an MCP endpoint offers its caller, for people to read and try."""

from http_mcp._catalog._app import CatalogApp

__all__ = ["CatalogApp"]
