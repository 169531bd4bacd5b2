"""The README's quick start works as written."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wire_for

pytestmark = pytest.mark.anyio

README = Path(__file__).resolve().parent.parent / "README.md"


def quick_start(folder: Path) -> Any:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    server_block = next(block for block in blocks if block.startswith("# server.py"))
    path = folder / "readme_quick_start.py"
    path.write_text(server_block)
    spec = importlib.util.spec_from_file_location("readme_quick_start", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


async def test_readme_quick_start_serves_the_documented_answers(tmp_path: Path) -> None:
    wire = wire_for(quick_start(tmp_path).app)
    good = await wire.legacy(
        "tools/call",
        {
            "name": "get_fix_metadata",
            "arguments": {"vulnerability_id": "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b"},
        },
    )
    assert good.json()["result"]["structuredContent"] == {
        "version": "2.3.4",
        "is_breaking_change": False,
    }
    bad = await wire.modern(
        "tools/call", {"name": "get_fix_metadata", "arguments": {"vulnerability_id": "abc123"}}
    )
    message = "vulnerability_id: must be a valid UUID4, got 'abc123'"
    assert bad.json()["result"]["structuredContent"] == {"error": message}
    assert message in README.read_text()
    await wire.client.aclose()


def test_readme_testing_section_passes_under_plain_pytest(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    server_block = next(block for block in blocks if block.startswith("# server.py"))
    test_block = next(block for block in blocks if block.startswith("# test_server.py"))
    (tmp_path / "server.py").write_text(server_block)
    (tmp_path / "test_server.py").write_text(test_block)
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_server.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "1 passed" in finished.stdout
