"""The catalogue page: one HTML document with its script and style inline, pinned by hashes.

The page carries what the caller may see as a JSON data block, escaped so that no value can
end the block; the script builds the DOM from it with text nodes only. The
Content-Security-Policy admits exactly this script and this style, no other source, and
Trusted Types, so even a mistake in the script cannot turn data into markup.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

_JSON_ESCAPES: Final = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
_HTML_ESCAPES: Final = {ord("<"): "&lt;", ord(">"): "&gt;", ord("&"): "&amp;", ord('"'): "&quot;"}
_TEMPLATE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · MCP catalogue</title>
<link rel="icon" href="data:,">
<style>{style}</style>
</head>
<body>
<header class="masthead"><h1>{title}</h1><p id="server-meta"></p></header>
<noscript><p>This page lists the server's tools with JavaScript; please enable it.</p></noscript>
<div id="catalog"></div>
<script type="application/json" id="catalog-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""


@dataclass(frozen=True, slots=True)
class Assets:
    """The page's script and style, and the policy that admits exactly them."""

    script: str
    style: str
    policy: str


@functools.cache
def assets() -> Assets:
    """Read the script and style once, and derive the Content-Security-Policy from them."""
    folder = Path(__file__).parent
    script = (folder / "catalog.js").read_text(encoding="utf-8")
    style = (folder / "catalog.css").read_text(encoding="utf-8")
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src '{_digest(script)}'",
            f"style-src '{_digest(style)}'",
            "connect-src 'self'",
            "img-src data:",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        )
    )
    return Assets(script=script, style=style, policy=policy)


def render(title: str, data: dict[str, Any]) -> bytes:
    """The page for one caller: `data` is what the script shows, `title` the heading."""
    page = assets()
    return _TEMPLATE.format(
        title=title.translate(_HTML_ESCAPES),
        style=page.style,
        data=json_block(data),
        script=page.script,
    ).encode("utf-8", "replace")


def json_block(data: dict[str, Any]) -> str:
    """`data` as JSON that cannot close the `<script>` element it sits in."""
    return json.dumps(data, allow_nan=False).translate(_JSON_ESCAPES)


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
