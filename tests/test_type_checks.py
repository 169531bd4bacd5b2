"""The type checkers hold a declaration's function to its `inputs=` and `output=`.

`tests/type_checks/accepted.py` is part of the checked tree (and checked strictly by pyright
here). Each statement under `tests/type_checks/rejected/` carries the error each checker must
report on it, in `# expect mypy: ...` / `# expect pyright: ...` comments just above it; every
one must fail, and nothing else may. Both checkers run once over all the files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import mypy.api
import pytest

ROOT = Path(__file__).parent.parent
SNIPPETS = Path(__file__).parent / "type_checks"
REJECTED = sorted((SNIPPETS / "rejected").glob("*.py"))
EXPECT = re.compile(r"# expect (mypy|pyright): (.+)")
MYPY_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.+)$")


def expected(checker: str) -> dict[tuple[str, int], str]:
    """What `checker` must report, by file name and line of the statement below the comment."""
    found: dict[tuple[str, int], str] = {}
    for path in REJECTED:
        lines = path.read_text().splitlines()
        for index, line in enumerate(lines):
            match = EXPECT.fullmatch(line.strip())
            if match is None or match[1] != checker:
                continue
            statement = next(
                n for n in range(index + 1, len(lines)) if not lines[n].lstrip().startswith("#")
            )
            found[(path.name, statement + 1)] = match[2]
    return found


def test_every_rejected_snippet_states_what_both_checkers_report() -> None:
    assert len(expected("mypy")) >= 14
    assert expected("mypy").keys() == expected("pyright").keys()


def test_mypy_rejects_each_declaration_whose_function_disagrees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    files = [str(path.relative_to(ROOT)) for path in REJECTED]
    stdout, stderr, _ = mypy.api.run(["--config-file", "pyproject.toml", *files])
    assert stderr == ""
    reported: dict[tuple[str, int], list[str]] = {}
    for line in stdout.splitlines():
        match = MYPY_ERROR.match(line)
        if match is not None:
            key = (Path(match["path"]).name, int(match["line"]))
            reported.setdefault(key, []).append(match["message"])
    wanted = expected("mypy")
    assert sorted(reported) == sorted(wanted), stdout
    for key, message in wanted.items():
        assert any(message in m for m in reported[key]), (key, reported[key])


def pyright() -> str | None:
    found = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if found is None and os.environ.get("CI") == "true":
        pytest.fail("pyright is not installed (it is in the dev extra)")
    return found


def test_pyright_accepts_the_accepted_and_rejects_each_rejected_declaration() -> None:
    executable = pyright()
    if executable is None:
        pytest.skip("pyright is not installed (pip install '.[dev]')")
    files = [str(SNIPPETS / "accepted.py"), *map(str, REJECTED)]
    run = subprocess.run(
        [executable, "--outputjson", "--pythonpath", sys.executable, *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    diagnostics = json.loads(run.stdout)["generalDiagnostics"]
    reported: dict[tuple[str, int], set[str]] = {}
    for diagnostic in diagnostics:
        key = (Path(diagnostic["file"]).name, diagnostic["range"]["start"]["line"] + 1)
        reported.setdefault(key, set()).add(diagnostic.get("rule", diagnostic["message"]))
    wanted = expected("pyright")
    assert sorted(reported) == sorted(wanted), diagnostics
    for key, rule in wanted.items():
        assert rule in reported[key], (key, reported[key])
