"""One virtual environment per library under benchmarks/.venvs, reinstalled when its pins change."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.console import say
from benchmarks.peers import REPORTED_PACKAGES, Peer

REPO = Path(__file__).resolve().parent.parent
VENVS = REPO / "benchmarks" / ".venvs"
STAMP = ".bench-requirements"
HATCHLING = "hatchling==1.33.0"


def server_python() -> str:
    """The interpreter every server runs on: $BENCH_PYTHON, else the newest Python 3.12.

    http-mcp 0.18 needs 3.12, and one interpreter for all keeps the comparison fair.
    """
    chosen = os.environ.get("BENCH_PYTHON")
    if chosen:
        return chosen
    candidates = []
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates = sorted(glob.glob(f"{root}/versions/3.12.*/bin/python3.12"), key=_version)
    found = candidates[-1] if candidates else shutil.which("python3.12")
    if found is None:
        sys.exit("benchmarks: no Python 3.12 found; set BENCH_PYTHON to one")
    return found


def _version(path: str) -> tuple[int, ...]:
    release = Path(path).parent.parent.name
    return tuple(int(part) for part in release.split(".") if part.isdigit())


def python_of(peer: Peer) -> Path:
    return VENVS / peer.key / "bin" / "python"


def ensure(peer: Peer, interpreter: str) -> None:
    """Create or refresh the peer's environment; quick when nothing changed.

    This repository is installed as a copy, afresh on every call, so that a whole run measures
    the one version of src/ that was there when it started, even if src/ changes meanwhile.
    """
    venv = VENVS / peer.key
    requirements = list(peer.requirements)
    if peer.from_repo:
        requirements.append(HATCHLING)
    wanted = json.dumps(
        {"python": interpreter, "requirements": requirements, "project": _project_hash(peer)}
    )
    stamp = venv / STAMP
    pip = [str(python_of(peer)), "-m", "pip", "--disable-pip-version-check", "-q"]
    if not (stamp.exists() and stamp.read_text() == wanted):
        say(f"== setting up {venv.relative_to(REPO)}")
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
        _quiet([*pip, "install", *requirements])
        stamp.write_text(wanted)
    if peer.from_repo:
        copy = ["install", "--no-deps", "--no-build-isolation", "--force-reinstall", str(REPO)]
        _quiet([*pip, *copy])


def _quiet(command: list[str]) -> None:
    """Run pip, showing what it says on stderr except its notes about unused index folders."""
    done = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    for line in done.stderr.splitlines():
        if not line.startswith("WARNING: Location "):
            say(line)
    done.check_returncode()


def _project_hash(peer: Peer) -> str:
    if not peer.from_repo:
        return ""
    return hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()


def versions(peer: Peer) -> dict[str, str]:
    listing = subprocess.run(
        [str(python_of(peer)), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wanted = {name.replace("_", "-") for name in REPORTED_PACKAGES}
    return {
        item["name"].lower().replace("_", "-"): item["version"]
        for item in json.loads(listing)
        if item["name"].lower().replace("_", "-") in wanted
    }
